"""Faults of refusals: unparsable bodies, types, media types, validation, client ids, robustness, outcomes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from conformance.fhirjson import map_leaves, walk
from conformance.server.faults.model import (
    CREATE_ASSIGN,
    CREATE_PARSED,
    CREATE_REFUSED,
    CREATE_RESPONSE,
    ERROR_RESPONSE,
    REQUEST_CHECK,
    Assignment,
    Check,
    ErrorReply,
    Fault,
    Reply,
    Submitted,
)
from conformance.server.fhirhttp import FHIR_JSON, FhirError, Rule, operation_outcome
from conformance.server.negotiation import FORMATS
from conformance.server.storage import FIRST_VERSION, now_instant

# A fault that crashes on deep documents does so well below what the server accepts (128
# levels), so that extensions nested 50 deep (about 100 JSON levels) trip it.
CRASH_DEPTH = 64
NOT_LATIN_1 = re.compile(r"[^\x00-\xff]")


def _waive(rule: Rule) -> Callable[[Check], None]:
    """Let through what `rule` refuses."""

    def waive(check: Check) -> None:
        if check.rule is rule:
            check.error = None

    return waive


def _refuse_parameter(name: str) -> Callable[[Check], None]:
    """Refuse a Content-Type or Accept carrying the media type parameter `name`, as whole-string matching would."""
    refusals = {
        Rule.CONTENT_TYPE: lambda: FhirError(415, "not-supported", f"{name} is not supported", rule=Rule.CONTENT_TYPE),
        Rule.ACCEPT: lambda: FhirError(406, "not-supported", f"{name} is not supported", rule=Rule.ACCEPT),
    }

    def refuse(check: Check) -> None:
        if check.rule in refusals and re.search(rf";\s*{name}\s*=", check.subject, re.IGNORECASE):
            check.error = refusals[check.rule]()

    return refuse


def crash_on(rule: Rule) -> Callable[[ErrorReply], None]:
    """Answer what `rule` refuses with a 500, as a server that trips over the input would."""

    def crash(reply: ErrorReply) -> None:
        if reply.rule is rule:
            reply.status = 500
            reply.body = operation_outcome("error", "exception", "internal server error")

    return crash


def _answer(rule: Rule, status: int) -> Callable[[ErrorReply], None]:
    """Answer what `rule` refuses with another status."""

    def answer(reply: ErrorReply) -> None:
        if reply.rule is rule:
            reply.status = status

    return answer


def _unchecked_bindings(check: Check) -> None:
    """Let through a resource whose only fault is a code outside a required binding."""
    if check.rule is Rule.INVALID and check.error is not None and check.error.code == "code-invalid":
        check.error = None


def _format_overrides(check: Check) -> None:
    """Read the body as JSON when _format names JSON, whatever its Content-Type says."""
    if check.rule is Rule.CONTENT_TYPE and check.query.get("_format") in FORMATS:
        check.error = None


def store_anyway(target: Submitted) -> None:
    """Keep a refused create body, as a server that stores before it checks would."""
    meta = target.resource.get("meta")
    kept = {**(meta if isinstance(meta, dict) else {}), "versionId": FIRST_VERSION, "lastUpdated": now_instant()}
    resource = {**target.resource, "resourceType": target.url_type, "id": str(uuid.uuid4()), "meta": kept}
    target.storage.create(target.tenant, resource)


def swap_invalid_status(reply: ErrorReply) -> None:
    """Refuse invalid content with the other of 400 and 422."""
    if reply.rule in (Rule.INVALID, Rule.PROFILE):
        reply.status = 422 if reply.status == 400 else 400


def plain_text(reply: ErrorReply) -> None:
    """Put a plain-text message in a refusal's body instead of its OperationOutcome."""
    if isinstance(reply.body, dict):
        reply.body = f"Error {reply.status}: {reply.body['issue'][0]['diagnostics']}"


def _code_is_status(reply: ErrorReply) -> None:
    if isinstance(reply.body, dict):
        for issue in reply.body["issue"]:
            issue["code"] = str(reply.status)


def _no_body_when_minimal(reply: ErrorReply) -> None:
    if reply.prefer == "minimal":
        reply.body = None


def _type_from_url(submitted: Submitted) -> None:
    submitted.resource["resourceType"] = submitted.url_type


def _replace_client_id(target: Assignment) -> None:
    if target.id_policy == "respect" and "id" in target.original:
        target.resource["id"] = str(uuid.uuid4())


def _taken(target: Assignment) -> bool:
    """Tell whether the id a create would be stored under holds a live resource (id policy respect)."""
    record = target.storage.read(target.tenant, target.resource["resourceType"], target.resource["id"])
    return target.id_policy == "respect" and record is not None and record.resource is not None


def _clobber(target: Assignment) -> None:
    """Put the new content under a taken id, yet let the create be refused with 409 as a duplicate."""
    if _taken(target):
        _overwrite(target)
        target.storage.create(target.tenant, dict(target.resource))


def _overwrite(target: Assignment) -> None:
    """Under the respect policy, drop whatever holds the id, so the new resource takes its place."""
    if target.id_policy == "respect":
        target.storage.purge(target.tenant, target.resource["resourceType"], target.resource["id"])


def _crash_when_deep(target: Assignment) -> None:
    if max(depth for _, depth in walk(target.resource)) > CRASH_DEPTH:
        raise RecursionError("maximum recursion depth exceeded")


def question_marks(characters: re.Pattern[str], value: Any) -> Any:
    """Return a JSON value whose strings have each of `characters` as '?', as a column that cannot hold them does."""
    return map_leaves(value, lambda leaf: characters.sub("?", leaf) if isinstance(leaf, str) else leaf)


def _store_latin_1(target: Assignment) -> None:
    target.resource = question_marks(NOT_LATIN_1, target.resource)


def _fhir_json_content_type(reply: Reply) -> None:
    if reply.body is not None:
        reply.headers["Content-Type"] = FHIR_JSON


# Settings a fault needs to show (Fault.config): a server claiming to validate, or honouring client ids.
# Validation refuses a bad client id too, so that fault shows only where the server does not validate.
CLAIMS_VALIDATION = {"validates": True}
RESPECTS_IDS = {"id_policy": "respect"}

# fmt: off
FAULTS = [
    Fault("unparsable-422", "reject.parse.unparsable",
          "A body that is not UTF-8 JSON is answered 422, a status for content that parses, instead of 400.",
          ERROR_RESPONSE, _answer(Rule.UNPARSABLE, 422)),
    Fault("unparsable-500", "reject.server-error.none",
          "A body that is not UTF-8 JSON (truncated, NaN, single quotes...) is answered 500 instead of 400.",
          ERROR_RESPONSE, crash_on(Rule.UNPARSABLE)),
    Fault("duplicate-names-accepted", "reject.parse.duplicate-names",
          "An object that repeats a name is stored, the last value winning.", REQUEST_CHECK,
          _waive(Rule.DUPLICATE_NAMES)),
    Fault("not-object-422", "reject.body.not-object",
          "An empty body, or JSON that is not an object, is answered 422 instead of 400.", ERROR_RESPONSE,
          _answer(Rule.NOT_OBJECT, 422)),
    Fault("not-object-500", "reject.server-error.none",
          "An empty body, or JSON that is not an object, is answered 500 instead of 400.", ERROR_RESPONSE,
          crash_on(Rule.NOT_OBJECT)),
    Fault("type-from-url", "reject.type.mismatch",
          "A missing or different resourceType is replaced by the URL's type and the resource stored.",
          CREATE_PARSED, _type_from_url),
    Fault("unknown-type-accepted", "reject.type.unknown",
          "A POST to a type R4 does not define is stored (201) like any other.", REQUEST_CHECK,
          _waive(Rule.UNKNOWN_TYPE)),
    Fault("unknown-type-400", "reject.type.unknown-404",
          "A POST to a type R4 does not define is answered 400 instead of 404.", ERROR_RESPONSE,
          _answer(Rule.UNKNOWN_TYPE, 400)),
    Fault("unknown-type-500", "reject.server-error.none",
          "A POST to a type R4 does not define is answered 500 instead of 404.", ERROR_RESPONSE,
          crash_on(Rule.UNKNOWN_TYPE)),
    Fault("content-type-ignored", "reject.mime.content-type-415",
          "A body is read as JSON whatever its Content-Type: text/plain and XML types are not refused with 415.",
          REQUEST_CHECK, _waive(Rule.CONTENT_TYPE)),
    Fault("accept-ignored", "reject.mime.accept-406",
          "An Accept header that allows no JSON type still gets FHIR JSON instead of 406.", REQUEST_CHECK,
          _waive(Rule.ACCEPT)),
    Fault("generic-json-answered-as-fhir-json", "reject.mime.generic-json",
          "A create asking for Accept: application/json gets Content-Type application/fhir+json.",
          CREATE_RESPONSE, _fhir_json_content_type),
    Fault("format-overrides-content-type", "reject.format.no-override",
          "A body is read as JSON when _format names JSON, whatever its Content-Type.", REQUEST_CHECK,
          _format_overrides),
    Fault("charset-refused", "reject.mime.charset",
          "A Content-Type or Accept with a charset parameter is refused with 415 or 406.", REQUEST_CHECK,
          _refuse_parameter("charset")),
    Fault("fhir-version-refused", "reject.mime.version-parameter",
          "A Content-Type or Accept with a fhirVersion parameter, even 4.0, is refused with 415 or 406.",
          REQUEST_CHECK, _refuse_parameter("fhirVersion")),
    Fault("fhir-version-500", "reject.mime.version-unsupported",
          "A body whose Content-Type names a fhirVersion other than 4.0 is answered 500.", ERROR_RESPONSE,
          crash_on(Rule.FHIR_VERSION)),
    Fault("validation-off", "reject.validation.rejected",
          "Invalid resources (name: \"Bob\", gender \"banana\"...) are stored although the server claims to validate.",
          REQUEST_CHECK, _waive(Rule.INVALID), CLAIMS_VALIDATION),
    Fault("bindings-unchecked", "reject.validation.unclaimed",
          "A code outside a required binding (gender \"banana\") is stored; other invalid content is refused.",
          REQUEST_CHECK, _unchecked_bindings),
    Fault("invalid-status-swapped", "reject.validation.status",
          "Invalid resources are refused with the other of 400 and 422 than the server claims.", ERROR_RESPONSE,
          swap_invalid_status, {**CLAIMS_VALIDATION, "invalid_status": 422}),
    Fault("profile-not-enforced", "reject.validation.profile-422",
          "A resource that breaks the enforced profile its meta.profile claims is stored.", REQUEST_CHECK,
          _waive(Rule.PROFILE), CLAIMS_VALIDATION),
    Fault("client-id-replaced", "reject.id.respected",
          "Under id policy respect, a client id is replaced by a server-assigned one.", CREATE_ASSIGN,
          _replace_client_id, RESPECTS_IDS),
    Fault("duplicate-id-overwrites", "reject.id.duplicate-409",
          "Under id policy respect, a POST with a taken id replaces that resource (201) instead of answering 409.",
          CREATE_ASSIGN, _overwrite, RESPECTS_IDS),
    Fault("duplicate-id-clobbers", "reject.id.duplicate-unchanged",
          "Under id policy respect, a POST with a taken id answers 409 but stores its content under that id.",
          CREATE_ASSIGN, _clobber, RESPECTS_IDS),
    Fault("bad-client-id-accepted", "reject.id.syntax",
          "Under id policy respect, a client id that breaks the R4 id syntax is used as it is.", REQUEST_CHECK,
          _waive(Rule.CLIENT_ID), {**RESPECTS_IDS, "validates": False}),
    Fault("deep-nesting-500", "reject.size.no-hang",
          f"A resource nested deeper than {CRASH_DEPTH} JSON levels is answered 500.", CREATE_ASSIGN,
          _crash_when_deep),
    Fault("non-latin-1-mangled", "reject.unicode.accepted",
          "Characters beyond Latin-1 (Greek, Cyrillic, CJK, Arabic, emoji, combining marks) are stored as '?'.",
          CREATE_ASSIGN, _store_latin_1),
    Fault("refusals-stored", "reject.stored.none",
          "A parsed create body refused for its type, id or content is stored all the same.", CREATE_REFUSED,
          store_anyway),
    Fault("plain-text-refusals", "reject.outcome.present",
          "Refusals carry a plain-text message instead of an OperationOutcome.", ERROR_RESPONSE, plain_text),
    Fault("issue-code-is-status", "reject.outcome.issue-type",
          "A refusal's OperationOutcome gives the HTTP status as issue.code (\"400\"), not an issue-type code.",
          ERROR_RESPONSE, _code_is_status),
    Fault("minimal-refusal-without-body", "reject.outcome.always",
          "A refused request sent with Prefer: return=minimal gets no body.", ERROR_RESPONSE,
          _no_body_when_minimal),
]
# fmt: on
