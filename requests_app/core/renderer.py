"""How forms are drawn (settings.FORM_RENDERER)."""

from pathlib import Path

import django.forms
import jinja2
from django.conf import settings
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


def optgroups(field):
    """The options of a field of radio buttons or check boxes, grouped, each with the
    attributes Django gives the field's widget (required, aria-invalid): what the field's
    template draws one by one."""
    widget = field.field.widget
    element_id = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": element_id} if element_id else {})
    return widget.optgroups(field.html_name, widget.format_value(field.value()), attrs)


def environment(**options):
    # Django's backend asks for autoescaping (its default); said here too, so no field is ever
    # drawn without it.
    options.pop("autoescape", None)
    env = jinja2.Environment(autoescape=True, **options)
    env.globals["optgroups"] = optgroups
    return env


class FormRenderer(Jinja2):
    """Fields and widgets by Jinja2 templates: a field with its label, help and errors by
    templates/jinja2/includes/field.html, Django's widgets by its own Jinja2 templates, at a
    fraction of the cost of Django templates (docs/performance.md). A widget with no Jinja2
    template (the admin's) is drawn by Django templates, as it would be without this."""

    field_template_name = "includes/field.html"

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": False,
                "DIRS": [
                    settings.BASE_DIR / "templates" / "jinja2",
                    Path(django.forms.__file__).parent / "jinja2",
                ],
                "NAME": "djangoforms",
                "OPTIONS": {"environment": "requests_app.core.renderer.environment"},
            }
        )

    @cached_property
    def fallback(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
