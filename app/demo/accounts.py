"""Demo organizations, people and agent groups."""

from datetime import timedelta
from decimal import Decimal

from app.auth.services import create_user
from app.extensions import db
from app.models import Group, Organization, OrganizationDomain

DEMO_ORGANIZATION = "Demo Customer Inc."

# The four logins the README and the seed-demo output name.
LOGINS = (
    ("admin@example.com", "admin"),
    ("agent@example.com", "agent"),
    ("csm@example.com", "csm"),
    ("customer@example.com", "customer"),
)

# email, role, name, language, time zone
STAFF = (
    ("admin@example.com", "admin", "Alex Morgan", "en", "Europe/London"),
    ("agent@example.com", "agent", "Jamie Park", "en", "America/New_York"),
    ("ivan@example.com", "agent", "Иван Петров", "ru", "Europe/Moscow"),
    ("elena@example.com", "agent", "Elena Georgieva", "bg", "Europe/Sofia"),
    ("mei@example.com", "agent", "Mei Lin", "zh-Hant", "Asia/Taipei"),
    ("yuki@example.com", "agent", "Yuki Tanaka", "ja", "Asia/Tokyo"),
    ("csm@example.com", "csm", "Chris Taylor", "en", "America/Chicago"),
    ("nadia@example.com", "csm", "Nadia Novak", "en", "Europe/Berlin"),
)

# Which agents answer which language (the first is the usual owner).
AGENTS_BY_LANGUAGE = {
    "en": ("agent@example.com", "admin@example.com"),
    "ru": ("ivan@example.com",),
    "bg": ("elena@example.com", "ivan@example.com"),
    "zh-Hant": ("mei@example.com",),
    "zh-Hans": ("mei@example.com",),
    "ja": ("yuki@example.com",),
}

GROUPS = (
    ("Billing", "Invoices, payments, refunds and plan changes.",
     ("agent@example.com", "elena@example.com", "mei@example.com")),
    ("Technical", "Bugs, integrations, the API and performance.",
     ("agent@example.com", "ivan@example.com", "mei@example.com", "yuki@example.com")),
    ("Accounts", "Log-in, SSO, seats and user management.",
     ("agent@example.com", "admin@example.com", "elena@example.com", "yuki@example.com")),
)

# name, plan, MRR, stage, renewal in days, owner, segment tags, domain, shared tickets,
# language, time zone, ticket weight, customers (email, name)
ORGANIZATIONS = (
    (DEMO_ORGANIZATION, "growth", "1200", "mature", 140, "csm@example.com", ["smb", "north-america"],
     "demo-customer.example", True, "en", "America/New_York", 10,
     (("customer@example.com", "Casey Morgan"), ("jordan@demo-customer.example", "Jordan Lee"),
      ("priya@demo-customer.example", "Priya Shah"))),
    ("Acme Logistics", "enterprise", "8400", "renewal", 38, "csm@example.com",
     ["enterprise", "north-america", "logistics"], "acme-logistics.example", False, "en", "America/Chicago", 16,
     (("maria.garcia@acme-logistics.example", "Maria Garcia"), ("tom.becker@acme-logistics.example", "Tom Becker"),
      ("aisha.khan@acme-logistics.example", "Aisha Khan"), ("liam.obrien@acme-logistics.example", "Liam O'Brien"))),
    ("Northwind Health", "growth", "2600", "onboarding", 320, "nadia@example.com", ["healthcare", "emea"],
     "northwind-health.example", False, "en", "Europe/London", 8,
     (("emma.wilson@northwind-health.example", "Emma Wilson"),
      ("noah.fischer@northwind-health.example", "Noah Fischer"))),
    ("Fjord Analytics", "starter", "0", "churned", None, "nadia@example.com", ["smb", "emea"],
     "fjord-analytics.example", False, "en", "Europe/Oslo", 3,
     (("ingrid.larsen@fjord-analytics.example", "Ingrid Larsen"),)),
    ("Volga Retail", "growth", "1900", "adopting", 95, "nadia@example.com", ["emea", "retail"],
     "volga-retail.example", False, "ru", "Europe/Moscow", 14,
     (("anna.smirnova@volga-retail.example", "Анна Смирнова"), ("d.kuznetsov@volga-retail.example", "Дмитрий Кузнецов"),
      ("o.ivanova@volga-retail.example", "Ольга Иванова"))),
    ("Balkan Foods", "starter", "450", "onboarding", 21, "nadia@example.com", ["emea", "smb", "trial"],
     "balkanfoods.example", False, "bg", "Europe/Sofia", 9,
     (("maria.petrova@balkanfoods.example", "Мария Петрова"),
      ("georgi.dimitrov@balkanfoods.example", "Георги Димитров"))),
    ("Jade Harbor Trading", "growth", "3100", "adopting", 200, "csm@example.com", ["apac"],
     "jadeharbor.example", True, "zh-Hant", "Asia/Taipei", 11,
     (("yijun.chen@jadeharbor.example", "陳怡君"), ("zhihao.lin@jadeharbor.example", "林志豪"),
      ("meiling.wang@jadeharbor.example", "王美玲"))),
    ("Panda Cloud", "enterprise", "9800", "mature", 260, "csm@example.com", ["apac", "enterprise"],
     "pandacloud.example", False, "zh-Hans", "Asia/Shanghai", 11,
     (("zhang.wei@pandacloud.example", "张伟"), ("li.na@pandacloud.example", "李娜"),
      ("liu.yang@pandacloud.example", "刘洋"))),
    ("Sakura Systems", "enterprise", "7200", "renewal", 45, "csm@example.com", ["apac", "enterprise"],
     "sakura-systems.example", False, "ja", "Asia/Tokyo", 16,
     (("hanako.tanaka@sakura-systems.example", "田中 花子"), ("ken.sato@sakura-systems.example", "佐藤 健"),
      ("misaki.suzuki@sakura-systems.example", "鈴木 美咲"))),
)


def _person(demo, email, role, name, language, zone, organization=None):
    user = create_user(email, role, name=name, organization=organization, now=demo.started_at)
    user.password_hash = demo.password_hash  # one scrypt hash for every demo login keeps seeding fast
    user.locale = language
    user.timezone = zone
    demo.users[email] = user
    return user


def seed_staff(demo):
    for email, role, name, language, zone in STAFF:
        _person(demo, email, role, name, language, zone)


def seed_organizations(demo):
    today = demo.now.date()
    for (name, plan, mrr, stage, renewal_days, owner, segments, domain, shared, language, zone, weight,
         customers) in ORGANIZATIONS:
        org = Organization(
            name=name, plan=plan, mrr=Decimal(mrr), stage=stage,
            renewal_date=today + timedelta(days=renewal_days) if renewal_days is not None else None,
            owner=demo.users[owner], segment_tags=segments, shared_tickets=shared,
            created_at=demo.started_at,
        )
        org.domains.append(OrganizationDomain(domain=domain))
        db.session.add(org)
        demo.organizations[name] = org
        demo.org_profile[name] = {"language": language, "weight": weight, "customers": []}
        for email, person in customers:
            user = _person(demo, email, "customer", person, language, zone, organization=org)
            demo.org_profile[name]["customers"].append(user)


def seed_groups(demo):
    for name, description, members in GROUPS:
        group = Group(name=name, description=description, members=[demo.users[e] for e in members],
                      created_at=demo.started_at)
        db.session.add(group)
        demo.groups[name] = group
    db.session.flush()
