"""The API's errors, as JSON: `{"error": {"code": ..., "message": ...}}`, plus
`"parameter"` when a query parameter was wrong.

They apply only under /api/: everywhere else keeps the HTML error pages. Errors raised
in the API's views reach the blueprint's handlers; a request under /api/ that matches no
route (a mistyped path, a POST) never reaches a view, so `answer_routing_misses`
answers it before Flask would render the HTML page.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ...web.query_params import BadParameter

API_PATH_PREFIX = "/api/"

CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    500: "server_error",
}


def error_response(error: HTTPException) -> Response:
    body: dict = {"code": CODES.get(error.code, "error"), "message": error.description}
    if isinstance(error, BadParameter):
        body["code"] = "bad_parameter"
        body["parameter"] = error.parameter
    if error.code == 500:
        # Never describe an unexpected failure to the caller: the log has the details.
        body["message"] = "Something went wrong. Try again later."
    response = jsonify(error=body)
    response.status_code = error.code or 500
    # Keep the headers the error carries (WWW-Authenticate on a 401, Allow on a 405).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def answer_routing_misses() -> Response | None:
    """before_app_request: under /api/, an unknown path or method is answered in JSON."""
    error = request.routing_exception
    if isinstance(error, NotFound | MethodNotAllowed) and request.path.startswith(API_PATH_PREFIX):
        return error_response(error)
    return None


def register_error_handlers(bp: Blueprint) -> None:
    # By status code, not only HTTPException: Flask prefers the app's handler for a code
    # (the HTML page) over a blueprint's handler for a class.
    for code in CODES:
        bp.register_error_handler(code, error_response)
    bp.register_error_handler(HTTPException, error_response)
    bp.before_app_request(answer_routing_misses)
