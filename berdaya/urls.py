from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from berdaya.api.api import api
from berdaya.core import views as core_views

# The admin site filters no rows by region (spec §2): only admins (superusers) enter it, whatever the staff
# flag or the permissions someone else was given.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

urlpatterns = [
    path("", core_views.home, name="home"),
    path("masuk/", auth_views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tugas/", include("berdaya.core.urls")),
    path("registri/", include("berdaya.registry.urls")),
    path("pdp/subjek/", include("berdaya.pdp.urls")),
    path("pdp/", include("berdaya.core.urls_pdp")),
    path("kube/", include("berdaya.kube.urls")),
    path("pendampingan/", include("berdaya.mentoring.urls")),
    path("buku/", include("berdaya.ledger.urls")),
    path("evaluasi/", include("berdaya.evaluation.urls")),
    path("dasbor/", include("berdaya.reports.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
