from django.urls import path

from berdaya.pdp import views

app_name = "pdp"
urlpatterns = [
    path("", views.subject_search, name="subject_search"),
    path("<int:pk>/", views.subject_detail, name="subject_detail"),
    path("<int:pk>/unduh.<str:fmt>", views.subject_download, name="subject_download"),
    path("<int:pk>/koreksi/", views.subject_correct_view, name="subject_correct"),
    path("<int:pk>/anonimkan/", views.subject_anonymise_view, name="subject_anonymise"),
]
