"""python manage.py rules_dry_run --rule gifts --days 30: what a rule would have decided, changing nothing."""

from django.core.management.base import BaseCommand, CommandError

from fulfillment.services.dry_run import RULES, rules_dry_run
from orderhub.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Replays a decision rule over the paid orders of the last N days and prints counts and a sample."

    def add_arguments(self, parser):
        parser.add_argument("--rule", required=True, choices=RULES)
        parser.add_argument("--days", type=int, default=30, help="paid in the last N days")
        parser.add_argument("--sample", type=int, default=20, help="orders listed with their outcome")

    def handle(self, *args, **options):
        if options["sample"] < 0:
            raise CommandError("--sample cannot be negative")
        try:
            report = rules_dry_run(days=options["days"], rule=options["rule"], limit_sample=options["sample"])
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"rule {report.rule}, paid orders of the last {report.days} days: {report.orders}")
        for outcome, count in report.counts.most_common():
            self.stdout.write(f"  {outcome}: {count}")
        if report.sample:
            self.stdout.write("sample (order id, outcome, reason):")
        for order_id, outcome, reason in report.sample:
            self.stdout.write(f"  {order_id}  {outcome}  {reason}")
