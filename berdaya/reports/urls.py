from django.urls import path

from berdaya.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("wilayah/<str:code>/", views.region, name="region"),
    path("kube/<int:kube_id>/", views.kube, name="kube"),
    path("kube/<int:kube_id>/profil.pdf", views.kube_pdf, name="kube_pdf"),
    path("pendamping/<int:facilitator_id>/", views.facilitator, name="facilitator"),
    path("rencana/<str:code>/", views.plan, name="plan"),
    path("laporan/<str:code>.pdf", views.evaluation_pdf, name="evaluation_pdf"),
    path("laporan/<str:code>.xlsx", views.evaluation_xlsx, name="evaluation_xlsx"),
]
