from flask import render_template

from app.admin import bp
from app.core.permissions import require


@bp.get("/")
@require("admin")
def home():
    return render_template("admin/home.html")
