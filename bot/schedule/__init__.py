"""Shooting schedules: parsing CSV and USS exports, and planning the change a re-import makes."""
