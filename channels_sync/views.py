"""The sync health page: per shop, is every order arriving?"""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from channels_sync.selectors import shop_health


@login_required
@permission_required("channels_sync.view_syncrun", raise_exception=True)
def sync_health(request):
    return render(
        request,
        "channels_sync/health.html",
        {
            "rows": shop_health(request.user),
            "can_view_dead_letters": request.user.has_perm("channels_sync.view_inboundevent"),
        },
    )
