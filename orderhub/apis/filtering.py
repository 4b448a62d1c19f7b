from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Query parameters every list endpoint understands besides its filters.
COMMON_PARAMS = {"page", "page_size", "ordering", "format"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that an unknown parameter or a bad value is a 400, never silently ignored."""

    raise_exception = True

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = COMMON_PARAMS | set(getattr(view, "extra_query_params", ()))
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {name: [f"unknown filter; allowed: {', '.join(sorted(known))}"] for name in unknown}
            )
        return super().filter_queryset(request, queryset, view)
