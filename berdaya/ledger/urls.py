from berdaya.ledger import views_books, views_reports

app_name = "ledger"
urlpatterns = [
    *views_books.urlpatterns,
    *views_reports.urlpatterns,
]
