from django.urls import path

from berdaya.kube import views, views_formation, views_plan

app_name = "kube"
urlpatterns = [
    path("", views.kube_list, name="list"),
    path("<int:pk>/", views.kube_detail, name="detail"),
    path("<int:pk>/ubah/<str:step>/", views.kube_step, name="step"),
    *views_formation.urlpatterns,
    *views_plan.urlpatterns,
]
