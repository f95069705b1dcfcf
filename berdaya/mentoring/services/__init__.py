"""Writes of the mentoring app, one module per area: assignment, activity (meetings, visits, trainings).

Import from the submodules (`from berdaya.mentoring.services.activity import meeting_record`).
"""
