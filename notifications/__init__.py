"""Notifications: reminders, in-app notices, the email outbox and the jobs that send them."""
