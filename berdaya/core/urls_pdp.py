from django.urls import path

from berdaya.core import views_pdp

app_name = "pdp_reveal"
urlpatterns = [
    path("tampilkan/<str:kind>/<int:pk>/", views_pdp.reveal, name="reveal"),
    path("laporan-insiden/", views_pdp.breach, name="breach"),
]
