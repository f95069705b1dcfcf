from berdaya.evaluation import views_analysis, views_rounds

app_name = "evaluation"
urlpatterns = [
    *views_rounds.urlpatterns,
    *views_analysis.urlpatterns,
]
