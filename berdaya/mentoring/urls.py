from berdaya.mentoring import views_alerts, views_assignment, views_field

app_name = "mentoring"
urlpatterns = [
    *views_field.urlpatterns,
    *views_assignment.urlpatterns,
    *views_alerts.urlpatterns,
]
