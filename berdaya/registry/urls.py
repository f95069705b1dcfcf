from django.urls import path

from berdaya.registry import views

app_name = "registry"
urlpatterns = [
    path("keluarga/", views.family_list, name="family_list"),
    path("keluarga/<int:pk>/", views.family_detail, name="family_detail"),
    path("impor/", views.import_upload, name="import_upload"),
    path("impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("impor/<int:pk>/laporan.<str:fmt>", views.import_report, name="import_report"),
    path("penyaringan/", views.screening_run, name="screening_run"),
]
