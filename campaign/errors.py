"""Errors the campaign services raise; each carries a message fit to show a user."""


class CampaignError(Exception):
    """A rule of the campaign was broken; `str(error)` is a Chinese message for the user."""


class NotFound(CampaignError):
    pass


class Conflict(CampaignError):
    pass


class InvalidInput(CampaignError):
    pass
