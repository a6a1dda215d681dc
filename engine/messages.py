"""Message events between cases: what a message element of a diagram sends, which key it is
correlated by, and where a received message's data goes.

SpiffWorkflow parses message events (intermediate throw and catch, boundary, start and end
events, send and receive tasks) into event definitions that differ by parser (the Camunda
parser evaluates `camunda:expression` for the payload, the BPMN one copies the whole task
data and merges it into the catcher). Every message event of a parsed diagram is given one
definition of ours instead (`CaseMessage`, `adopt`), so a message behaves the same wherever
it is drawn:

- the **key** (correlation key) is an expression over the case data, from the element's
  extension property `correlationKey` or, failing that, the BPMN correlation property of its
  message (`bpmn:correlationPropertyRetrievalExpression`); its value is compared as text;
- a throw sends the data fields named by the property `messageData` (comma-separated),
  nothing else, so a message never carries the sender's whole data to another unit's case;
- a catch puts the received fields into its case's data, or under one name when the event
  says `camunda:resultVariable`.

SpiffWorkflow's own event routing does the rest: a throw is caught inside its case when a
task there waits for it (`BpmnEvent.correlations` compared by `catches`), and otherwise lands
in the workflow's outgoing events, which engine.delivery hands to other cases."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.serializer.helpers.spec import EventDefinitionConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent, PendingBpmnEvent
from SpiffWorkflow.task import Task

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
KEY_PROPERTY = "correlationKey"
DATA_PROPERTY = "messageData"
KEY_LENGTH = 200  # characters of a key, as stored for look-up


class MessageDataMissing(Exception):
    """A throw names a data field the case does not have."""


@dataclass(frozen=True)
class Wiring:
    """How one message element is wired, read from its XML."""

    key_expression: str = ""
    fields: tuple[str, ...] = ()
    result_variable: str = ""
    bpmn_id: str = ""  # the element it is drawn on (a gateway holds its branches' events)


class CaseMessage(MessageEventDefinition):
    """A message event as this product runs it (see the module's description)."""

    def __init__(self, name: str, wiring: Wiring, description: str | None = None) -> None:
        super().__init__(name, [], description=description)
        self.wiring = wiring

    def key_of(self, my_task: Task) -> str | None:
        """The key this task sends or waits for, computed over its data; None without one."""
        if not self.wiring.key_expression:
            return None
        value = my_task.workflow.script_engine.evaluate(my_task, self.wiring.key_expression)
        return None if value is None else str(value)[:KEY_LENGTH]

    def catches(self, my_task: Task, event: BpmnEvent) -> bool:
        if not (
            isinstance(event.event_definition, CaseMessage)
            and self.name == event.event_definition.name
        ):
            return False
        expected = self.key_of(my_task)
        return expected is None or event.correlations.get("key") == expected

    def catch(self, my_task: Task, event: BpmnEvent | None = None) -> None:
        if event is not None:
            my_task.internal_data[self.name] = event.payload
            my_task.workflow.correlations[self.name] = dict(event.correlations)
        EventDefinition.catch(self, my_task, event)

    def throw(self, my_task: Task) -> None:
        missing = [name for name in self.wiring.fields if name not in my_task.data]
        if missing:
            raise MessageDataMissing(f"消息“{self.name}”要发送的数据不存在：{'、'.join(missing)}")
        payload = {name: deepcopy(my_task.data[name]) for name in self.wiring.fields}
        correlations = {"key": self.key_of(my_task)}
        my_task.workflow.correlations[self.name] = dict(correlations)
        my_task.workflow.top_workflow.catch(
            BpmnEvent(self, payload=payload, correlations=correlations)
        )

    def update_task_data(self, my_task: Task) -> None:
        payload = my_task.internal_data.get(self.name)
        if not isinstance(payload, dict):
            return
        if self.wiring.result_variable:
            my_task.data[self.wiring.result_variable] = payload
        else:
            my_task.set_data(**payload)

    def reset(self, my_task: Task) -> None:
        my_task.internal_data.pop(self.name, None)
        super().reset(my_task)

    def details(self, my_task: Task) -> PendingBpmnEvent:
        return PendingBpmnEvent(self.name, "MessageEventDefinition", self.key_of(my_task))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CaseMessage) and self.name == other.name

    __hash__ = None  # type: ignore[assignment]  # compared by name, never hashed


class CaseMessageConverter(EventDefinitionConverter):
    """Serializes a CaseMessage where SpiffWorkflow keeps one in a case's state (the events
    an event-based gateway has seen)."""

    def to_dict(self, event_definition: CaseMessage) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(event_definition)
        wiring = event_definition.wiring
        dct |= {
            "key_expression": wiring.key_expression,
            "fields": list(wiring.fields),
            "result_variable": wiring.result_variable,
            "bpmn_id": wiring.bpmn_id,
        }
        return dct

    def from_dict(self, dct: dict[str, Any]) -> CaseMessage:
        wiring = Wiring(
            dct["key_expression"], tuple(dct["fields"]), dct["result_variable"], dct["bpmn_id"]
        )
        return CaseMessage(dct["name"], wiring, dct.get("description"))


def properties_of(element: etree._Element) -> dict[str, str]:
    """An element's Camunda extension properties (name → value)."""
    found: dict[str, str] = {}
    for prop in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        name = (prop.get("name") or "").strip()
        if name:
            found[name] = (prop.get("value") or "").strip()
    return found


def message_definition(element: etree._Element) -> etree._Element | None:
    """The messageEventDefinition of an event, or the element itself for a send or receive
    task that names its message (messageRef)."""
    found = element.find("bpmn:messageEventDefinition", NS)
    if found is None and element.get("messageRef") is not None:
        return element
    return found


def correlation_expression(root: etree._Element, message_ref: str | None) -> list[str]:
    """The BPMN correlation retrieval expressions given for a message."""
    if not message_ref:
        return []
    path = (
        "//bpmn:correlationProperty/bpmn:correlationPropertyRetrievalExpression"
        f"[@messageRef='{message_ref}']"
    )
    found = []
    for expression in root.xpath(path, namespaces=NS):
        for child in expression:
            if (child.text or "").strip():
                found.append(child.text.strip())
    return found


def wiring_of(root: etree._Element, element: etree._Element) -> Wiring:
    properties = properties_of(element)
    definition = message_definition(element)
    key = properties.get(KEY_PROPERTY, "")
    if not key and definition is not None:
        expressions = correlation_expression(root, definition.get("messageRef"))
        key = expressions[0] if len(expressions) == 1 else ""
    fields = tuple(
        name.strip() for name in properties.get(DATA_PROPERTY, "").split(",") if name.strip()
    )
    result = definition.get(f"{{{CAMUNDA}}}resultVariable", "") if definition is not None else ""
    return Wiring(key, fields, result.strip(), element.get("id", ""))


def adopt(
    tree: etree._ElementTree, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
) -> None:
    """Give every message event of the parsed specs our definition (see the module)."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}

    def ours(definition: EventDefinition, bpmn_id: str | None) -> EventDefinition:
        if not isinstance(definition, MessageEventDefinition) or isinstance(
            definition, CaseMessage
        ):
            return definition
        element = elements.get(bpmn_id)
        wiring = wiring_of(root, element) if element is not None else Wiring()
        return CaseMessage(definition.name, wiring, definition.description)

    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, MultipleEventDefinition):
                # An event-based gateway holds its branches' events (SpiffWorkflow moves
                # them there), in the order of its outputs.
                owners = [out.bpmn_id for out in task_spec.outputs]
                if len(owners) != len(definition.event_definitions):
                    owners = [task_spec.bpmn_id] * len(definition.event_definitions)
                definition.event_definitions = [
                    ours(d, owner)
                    for d, owner in zip(definition.event_definitions, owners, strict=True)
                ]
            elif definition is not None:
                task_spec.event_definition = ours(definition, task_spec.bpmn_id)


def messages_of(definition: Any) -> Iterator[CaseMessage]:
    """The message definitions an event definition holds (itself, or a multiple's)."""
    if isinstance(definition, CaseMessage):
        yield definition
    elif isinstance(definition, MultipleEventDefinition):
        for item in definition.event_definitions:
            yield from messages_of(item)


def outgoing(events: Iterable[BpmnEvent]) -> list[BpmnEvent]:
    """The messages among the events a workflow could not deliver inside itself."""
    return [e for e in events if isinstance(e.event_definition, CaseMessage)]
