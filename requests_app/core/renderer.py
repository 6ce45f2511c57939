"""How form widgets are drawn (settings.FORM_RENDERER)."""

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    """Django's own widgets by its Jinja2 templates: the same HTML as its Django-template ones,
    at a fraction of the cost (docs/performance.md). A widget with no Jinja2 template (the
    admin's) is drawn by Django templates, as it would be without this renderer."""

    @cached_property
    def fallback(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
