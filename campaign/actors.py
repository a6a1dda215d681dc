"""A person of the campaign as the engine knows them: an id and a name."""

from __future__ import annotations

from campaign.models import User
from engine.host import Actor


def actor_for(user: User) -> Actor:
    return Actor(user.id, user.full_name or user.username)
