from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

ERROR_PAGES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    405: "errors/404.html",
    413: "errors/413.html",
    500: "errors/500.html",
}


def register_error_pages(app: Flask) -> None:
    for code, template in ERROR_PAGES.items():
        app.register_error_handler(
            code, lambda error, code=code, template=template: (render_template(template), code)
        )

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_template("errors/400.html", csrf=True), 400
