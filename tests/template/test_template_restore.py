"""RestoredTableName points every function at a table restored from point-in-time recovery, and
nothing else in the stack keeps naming its own Table (docs/deploy.md, "Backup and restore")."""

from __future__ import annotations

import re
from typing import Any

from tests.template.template_support import role_statements, transform_template

RESTORED = "conversations-restored-20261130"
RESTORED_ARN = f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{RESTORED}"
# Where the stack's own table may still be named when a restored one is in use: the resource
# itself, and the output that names it for the admin to delete once sure.
OWN_TABLE_PLACES = {("Resources", "Table"), ("Outputs", "UnusedStackTableName")}


def _names_table(value: Any) -> bool:
    """`Ref Table`, `GetAtt Table.X` or `${Table}`/`${Table.X}` in a Sub, at this node itself."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((key, arg),) = value.items()
    if key == "Ref":
        return arg == "Table"
    if key == "Fn::GetAtt":
        return (arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]) == "Table"
    if key == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return re.search(r"\$\{Table(\.[A-Za-z]+)?\}", text) is not None
    return False


def _table_uses(value: Any, path: tuple[str, ...], restored: bool) -> list[str]:
    """Paths naming the stack's Table when RestoredTableName is set (`restored`): the false
    branch of an `If [UseRestoredTable, ...]` is then never taken, so it is not followed."""
    if path[:2] in OWN_TABLE_PLACES:
        return []
    if _names_table(value):
        return ["/".join(path)]
    if isinstance(value, dict):
        if restored and set(value) == {"Fn::If"} and value["Fn::If"][0] == "UseRestoredTable":
            return _table_uses(value["Fn::If"][1], (*path, "If-true"), restored)
        return [use for key, item in value.items() for use in _table_uses(item, (*path, str(key)), restored)]
    if isinstance(value, list):
        return [use for i, item in enumerate(value) for use in _table_uses(item, (*path, str(i)), restored)]
    return []


def test_the_parameter_and_its_condition_exist(sam_template):
    assert sam_template["Parameters"]["RestoredTableName"]["Default"] == ""
    assert sam_template["Conditions"]["UseRestoredTable"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RestoredTableName"}, ""]}]
    }


def test_with_a_restored_table_nothing_but_the_table_itself_names_the_stacks_own(sam_template):
    cfn_template = transform_template(sam_template, {"RestoredTableName": RESTORED})

    assert _table_uses(sam_template, (), restored=True) == []
    assert _table_uses(cfn_template, (), restored=True) == []  # SAM's expanded policies too


def test_without_one_the_functions_and_outputs_name_the_stacks_own_table(sam_template):
    uses = _table_uses(sam_template, (), restored=False)

    assert "Globals/Function/Environment/Variables/TABLE_NAME/Fn::If/2" in uses
    assert "Outputs/TableName/Value/Fn::If/2" in uses
    assert len([u for u in uses if "/Policies/" in u]) >= 5  # every function's table statements


def test_the_stacks_own_table_stays_unconditional_and_retained(sam_template):
    table = sam_template["Resources"]["Table"]

    assert "Condition" not in table
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert sam_template["Outputs"]["UnusedStackTableName"]["Condition"] == "UseRestoredTable"


def _resolved_branch(value: Any, restored: bool) -> Any:
    """The template value with every `If [UseRestoredTable, a, b]` taken one way."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"} and value["Fn::If"][0] == "UseRestoredTable":
            return _resolved_branch(value["Fn::If"][1 if restored else 2], restored)
        return {k: _resolved_branch(v, restored) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved_branch(v, restored) for v in value]
    return value


def _arn_text(resource: Any) -> str:
    """A statement's resource as text, `${RestoredTableName}` filled in; SAM's policy templates
    write the name as a Sub variable (`${tableName}` set to a `Ref`)."""
    if isinstance(resource, dict):
        text, variables = (
            (resource["Fn::Sub"], {}) if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"]
        )
        for name, value in variables.items():
            text = text.replace(f"${{{name}}}", "${" + value["Ref"] + "}")
        resource = text
    return str(resource).replace("${RestoredTableName}", RESTORED)


def test_every_functions_table_statements_name_the_restored_table_and_its_indexes(sam_template):
    cfn_template = _resolved_branch(transform_template(sam_template, {"RestoredTableName": RESTORED}), True)
    functions = [n for n, r in sam_template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]

    allowed = {RESTORED_ARN, RESTORED_ARN + "/index/*"}
    for function in functions:
        table_resources = []
        for statement in role_statements(cfn_template, function):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("dynamodb:") for a in actions):
                resources = statement["Resource"]
                table_resources.extend(resources if isinstance(resources, list) else [resources])
        assert table_resources, function
        named = {_arn_text(r) for r in table_resources}
        assert named <= allowed, (function, named)
        assert RESTORED_ARN in named, function


def test_every_function_is_given_the_restored_tables_name(sam_template):
    variables = _resolved_branch(sam_template["Globals"]["Function"]["Environment"]["Variables"], True)

    assert variables["TABLE_NAME"] == {"Ref": "RestoredTableName"}
    for resource in sam_template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            own = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert "TABLE_NAME" not in own
