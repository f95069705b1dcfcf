from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "berdaya.evaluation"
    label = "evaluation"
    verbose_name = "Evaluasi"
