from django.urls import path

from berdaya.core import views_jobs

app_name = "core"
urlpatterns = [
    path("", views_jobs.job_list, name="job_list"),
    path("<int:pk>/", views_jobs.job_detail, name="job"),
    path("<int:pk>/status/", views_jobs.job_status, name="job_status"),
    path("<int:pk>/berkas/<str:kind>/", views_jobs.job_file, name="job_file"),
]
