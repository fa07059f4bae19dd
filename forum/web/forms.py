"""Flask-WTF forms for the pages. They shape and lightly check input (and carry the CSRF
token); the use cases in accounts/posting/preferences stay the authority on what is valid,
and `apply_error` puts their answer on the field it names.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..errors import ForumError
from ..models import DigestFrequency
from ..privacy import KINDS as PRIVACY_KINDS

NEEDS_TEXT = "The post needs some text."


def apply_error(form: FlaskForm, error: ForumError) -> None:
    """Attach a use case's error to the field it names, or to the form as a whole."""
    field_name = error.details.get("field")
    field = getattr(form, field_name, None) if isinstance(field_name, str) else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.message]
    else:
        form.form_errors.append(error.message)


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=32)])
    email = StringField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=256)])
    confirm = PasswordField(
        "Password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords don't match.")],
    )
    next = HiddenField()


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = StringField("Your email address", validators=[InputRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired(), Length(max=256)])
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords don't match.")],
    )


class ActionForm(FlaskForm):
    """A button-only form (log out, delete, support, block): CSRF token plus where to go back."""

    next = HiddenField()


class _NudgeAware(FlaskForm):
    # Sent as "1" by the second button, "Post for a moderator to review", after a nudge.
    acknowledge_nudge = HiddenField()
    # The privacy nudge's "Post anyway" button sends the kinds of detail it warned about; the
    # hidden field carries kinds already accepted through a later moderation nudge.
    post_anyway = HiddenField()
    privacy_accepted = HiddenField()

    @property
    def acknowledged(self) -> bool:
        return self.acknowledge_nudge.data == "1"

    @property
    def privacy_kinds(self) -> list[str]:
        """The kinds of identifying detail the writer chose to post anyway (short names only)."""
        raw = f"{self.privacy_accepted.data or ''},{self.post_anyway.data or ''}"
        return sorted({kind for kind in raw.split(",") if kind.strip() in PRIVACY_KINDS})


class ThreadForm(_NudgeAware):
    category = SelectField(
        "Category", validators=[InputRequired("Please choose a category.")], choices=[]
    )
    title = StringField(
        "Title", validators=[InputRequired("Please give your thread a title."), Length(max=200)]
    )
    content_warning = StringField(
        "Content warning (optional)", validators=[Optional(), Length(max=200)]
    )
    body = TextAreaField("Your post", validators=[InputRequired(NEEDS_TEXT), Length(max=25_000)])


class ReplyForm(_NudgeAware):
    body = TextAreaField("Your reply", validators=[InputRequired(NEEDS_TEXT), Length(max=25_000)])
    parent_id = HiddenField()


class EditPostForm(_NudgeAware):
    body = TextAreaField("Your post", validators=[InputRequired(NEEDS_TEXT), Length(max=25_000)])


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "What's wrong with this post?", validators=[InputRequired(), Length(max=500)]
    )
    next = HiddenField()


class AppealForm(FlaskForm):
    note = TextAreaField(
        "What would you like the moderators to know?",
        validators=[InputRequired("Please tell us in a few words why you'd like another look; "
                                  "a moderator will read it."), Length(max=2000)],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DigestSettingsForm(FlaskForm):
    digest = RadioField(
        "How often would you like a digest email?",
        choices=[
            SelectChoice(DigestFrequency.OFF.value, "Off — no digest emails"),
            SelectChoice(DigestFrequency.DAILY.value, "Daily"),
            SelectChoice(DigestFrequency.WEEKLY.value, "Weekly"),
        ],
        validators=[InputRequired()],
    )
    muted = MultiCheckboxField("Leave these categories out of my digest", choices=[])


class CrisisRegionForm(FlaskForm):
    # Choices come from the configured table (forum/crisis_resources.py); "" is "not set".
    region = SelectField("Show me crisis lines for", choices=[], validate_choice=False)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    password = PasswordField("New password", validators=[InputRequired(), Length(max=256)])
    confirm = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords don't match.")],
    )


class CategoryVisibilityForm(FlaskForm):
    visibility = SelectField("Who can read it", choices=[], validators=[InputRequired()])


class TrustLevelForm(FlaskForm):
    username = StringField("Member", validators=[InputRequired(), Length(max=64)])
    level = SelectField("Trust level", choices=[], validators=[InputRequired()])
