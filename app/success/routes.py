from flask import render_template

from app.core.permissions import require
from app.success import bp


@bp.get("/success/")
@require("success")
def home():
    return render_template("success/home.html")
