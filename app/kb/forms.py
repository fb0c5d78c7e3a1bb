"""Knowledge-base forms: validation and coercion only (the rules live in app/kb/services.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.kb.services import BODY_MAX, COMMENT_MAX, TITLE_MAX


def optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (publish, unpublish, delete)."""


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the article a title.")),
                                                 Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(_l("Write the article's text.")),
                                                            Length(max=BODY_MAX)],
                         description=_l("Markdown: # headings, **bold**, *italic*, lists, [links](https://…), "
                                        "`code`, tables. HTML is shown as text."))
    locale = StringField(_l("Language"), default="en", validators=[DataRequired(_l("Give a language code.")),
                                                                   Length(max=35)],
                         description=_l("A code such as en, ru, bg, zh-Hant, zh-Hans or ja."))
    category_id = SelectField(_l("Category"), coerce=optional_int, choices=[], validate_choice=True)
    visibility = SelectField(_l("Who can read it"), choices=[
        SelectChoice("public", _l("Public: everyone")),
        SelectChoice("internal", _l("Internal: staff only"))], default="public")
    translation_of = IntegerField(_l("Translation of article #"), validators=[Optional(), NumberRange(min=1)],
                                  description=_l("The number of the original article; leave empty for an original."))
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=1000)],
                       description=_l("Separated by commas or spaces."))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the category a name.")), Length(max=100)])
    slug = StringField(_l("Web address"), validators=[Optional(), Length(max=100)],
                       description=_l("Letters a–z, digits and dashes; made from the name when empty."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Position"), validators=[Optional(), NumberRange(min=0, max=100000)])
    names = TextAreaField(_l("Name in other languages"), validators=[Optional(), Length(max=2000)],
                          description=_l("One per line, e.g. “ru: Оплата”."))


class VoteForm(FlaskForm):
    comment = TextAreaField(_l("Anything we should add? (optional)"), validators=[Optional(),
                                                                               Length(max=COMMENT_MAX)])
