"""The few CloudFormation intrinsics the local stack needs to read template.yaml's settings.

Ref (parameters and the resources moto created), GetAtt .Arn, Split, Join, Select, If with the
template's Conditions (Equals, Not, And, Or, Condition) and AWS::NoValue. Anything else resolves
to `UNRESOLVED`, so a caller can skip a value it cannot know locally rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNRESOLVED: Any = type("Unresolved", (), {"__repr__": lambda self: "UNRESOLVED"})()
NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()
INTRINSICS = {"Ref", "Condition"} | {
    f"Fn::{name}"
    for name in ("GetAtt", "If", "Equals", "Not", "And", "Or", "Split", "Join", "Select", "Sub", "FindInMap")
}


@dataclass
class Resolver:
    parameters: dict[str, str]
    conditions: dict[str, Any] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not (set(value) & INTRINSICS):
            return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            if arg in self.physical:
                return self.physical[arg]
            return self.parameters.get(arg, UNRESOLVED)
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.arns.get(logical, UNRESOLVED) if attribute == "Arn" else UNRESOLVED
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        args = self.resolve(arg)
        if _contains(args, UNRESOLVED):
            return UNRESOLVED
        if key == "Fn::Equals":
            return str(args[0]) == str(args[1])
        if key == "Fn::Not":
            return not args[0]
        if key == "Fn::And":
            return all(args)
        if key == "Fn::Or":
            return any(args)
        if key == "Fn::Split":
            return str(args[1]).split(args[0])
        if key == "Fn::Join":
            return str(args[0]).join(str(part) for part in args[1])
        if key == "Fn::Select":
            return args[1][int(args[0])]
        return UNRESOLVED


def _contains(value: Any, marker: Any) -> bool:
    if value is marker:
        return True
    if isinstance(value, list):
        return any(_contains(item, marker) for item in value)
    return False
