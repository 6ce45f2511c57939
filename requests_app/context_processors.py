from django.conf import settings


def site(request):
    return {"committee_name": settings.COMMITTEE_NAME}
