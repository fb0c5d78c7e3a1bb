"""Demo knowledge base: a help center FAQ in categories, mostly English, with Russian, Bulgarian,
Chinese (Traditional) and Japanese translations linked to their originals, and one internal article.

Articles answer the problems the demo tickets are about (exports, double charges, SSO, …), so the
ticket form's suggestions and the agent's suggested articles have something real to find. The
seed runs inside seed_demo's single transaction, whose follow-up jobs are dropped and replaced by
batch jobs; the articles are therefore queued for indexing just before that transaction commits.
"""

from datetime import timedelta

from sqlalchemy import event

from app.extensions import db
from app.jobs import enqueue
from app.kb import deflection, searching
from app.models.kb import KbArticle, KbCategory

CATEGORIES = (
    # slug, name, description, translated names
    ("getting-started", "Getting started", "Set up your workspace and invite your team.",
     {"ru": "Начало работы", "bg": "Първи стъпки", "zh-Hant": "快速入門", "ja": "はじめに"}),
    ("account-security", "Account and security", "Passwords, single sign-on and two-factor authentication.",
     {"ru": "Аккаунт и безопасность", "bg": "Профил и сигурност", "zh-Hant": "帳戶與安全", "ja": "アカウントとセキュリティ"}),
    ("billing", "Billing and plans", "Invoices, payments, refunds, seats and plan changes.",
     {"ru": "Оплата и тарифы", "bg": "Плащания и планове", "zh-Hant": "帳單與方案", "ja": "請求とプラン"}),
    ("reports", "Reports and exports", "Dashboards, reports and CSV exports.",
     {"ru": "Отчёты и экспорт", "bg": "Отчети и експорт", "zh-Hant": "報表與匯出", "ja": "レポートとエクスポート"}),
    ("integrations", "Integrations and API", "Connect your CRM and other tools, and use the API.",
     {"ru": "Интеграции и API", "bg": "Интеграции и API", "zh-Hant": "整合與 API", "ja": "連携と API"}),
    ("mobile", "Mobile app and notifications", "The iOS and Android apps, e-mail and push notifications.",
     {"ru": "Мобильное приложение и уведомления", "bg": "Мобилно приложение и известия",
      "zh-Hant": "行動應用程式與通知", "ja": "モバイルアプリと通知"}),
)

# key, category slug, title, Markdown body, tags
ARTICLES = (
    ("invite", "getting-started", "Invite your team",
     "Open **Settings → Team** and choose **Invite people**. Enter one e-mail address per line and pick a role "
     "for them.\n\n- *Members* can use every report and dashboard.\n- *Admins* can also manage billing and "
     "security.\n\nInvitations stay valid for 7 days; you can resend one from the same page.", "team, invite"),
    ("workspace", "getting-started", "Set up your workspace",
     "After signing up, give your workspace a name and choose its time zone under **Settings → General**. "
     "The time zone decides when daily reports run and how dates appear in exports.\n\n"
     "Next steps:\n\n1. Invite your team\n2. Connect your CRM\n3. Build your first dashboard", "setup"),
    ("roles", "getting-started", "User roles and permissions",
     "| Role | Can do |\n|---|---|\n| Viewer | read dashboards and reports |\n| Member | create reports and "
     "exports |\n| Admin | everything, including billing, SSO and API keys |\n\nChange a person's role under "
     "**Settings → Team**.", "roles, permissions"),
    ("first-dashboard", "getting-started", "Build your first dashboard",
     "Choose **Dashboards → New**, then add widgets from the library on the right. Each widget reads one "
     "report; drag its corner to resize it. Dashboards refresh every 15 minutes, or at once with **Refresh**.",
     "dashboard"),
    ("import-data", "getting-started", "Import your existing data",
     "You can import accounts, contacts and deals from a CSV file under **Settings → Import**. The first line "
     "must be a header. Imports run in the background; you get an e-mail when yours is done, with a list of "
     "rows that could not be imported and why.", "import, csv"),
    ("password", "account-security", "Reset your password",
     "If you forgot your password, open the sign-in page and click **Forgot password**. We e-mail you a reset "
     "link that is valid for one hour.\n\nThe e-mail does not arrive?\n\n- Check your spam folder.\n- Ask your "
     "IT team to allow mail from `tandem.example`: some company mail servers reject it.\n- Request a new link: "
     "only the newest one works.", "password, login"),
    ("reset-email", "account-security", "The password reset e-mail does not arrive",
     "Reset e-mails are sent at once. When one does not arrive within five minutes, your mail server most "
     "likely rejected it. Ask your IT team to allow-list `tandem.example`, then request a new link. Support can "
     "see whether a message was bounced: write to us with the address you used.", "password, e-mail"),
    ("sso", "account-security", "Single sign-on (SAML) fails with “invalid SAML response”",
     "This error means the signing certificate of your identity provider no longer matches the one stored in "
     "your workspace, usually because it was rotated.\n\n1. Download the new certificate from your identity "
     "provider.\n2. Upload it under **Settings → Security → Single sign-on**.\n3. Sign in again.\n\nAdmins can "
     "always sign in with their password while SSO is broken.", "sso, saml, login"),
    ("2fa", "account-security", "Turn on two-factor authentication",
     "Protect your account with a one-time code from an authenticator app. Open **Profile → Security**, choose "
     "**Turn on two-factor authentication** and scan the QR code. Keep the recovery codes somewhere safe: each "
     "works once if you lose your phone.", "2fa, security"),
    ("lost-phone", "account-security", "I lost the phone with my authenticator app",
     "Sign in with one of your recovery codes, then set up two-factor authentication again on your new phone. "
     "Without recovery codes, ask an admin of your workspace to reset your second factor.", "2fa"),
    ("double-charge", "billing", "I was charged twice",
     "A double charge usually happens when the payment provider retries a payment that had in fact gone "
     "through. Write to us with the invoice number: we refund the duplicate at once. Refunds reach your card "
     "within **5–10 business days**, depending on your bank.", "billing, refund, charge"),
    ("refund", "billing", "Refunds when you cancel",
     "When you cancel within 14 days of a renewal, we refund the unused part of your subscription to the card "
     "you paid with. Refunds show up on your statement within 5–10 business days. Cancelling later stops the "
     "next renewal; you keep access until the end of the paid period.", "refund, cancel"),
    ("invoice-download", "billing", "Download your invoices",
     "All invoices are under **Settings → Billing → Invoices**. Choose **Download PDF** next to the invoice you "
     "need. Invoices are also e-mailed to the billing contact when they are issued.", "invoice"),
    ("vat", "billing", "Add a VAT number or change the company name on invoices",
     "Update the billing profile under **Settings → Billing → Company details**: company name, address and VAT "
     "number. Future invoices use the new details. To have an invoice that was already issued reissued, "
     "write to us with its number.", "invoice, vat"),
    ("seats", "billing", "Add seats to your plan",
     "Admins can add seats under **Settings → Billing → Plan**. Extra seats are prorated to your renewal date: "
     "you only pay for the months that are left, on your next invoice.", "seats, plan"),
    ("change-plan", "billing", "Upgrade or downgrade your plan",
     "Choose **Settings → Billing → Change plan**. An upgrade starts at once and is prorated; a downgrade "
     "starts at your next renewal.", "plan"),
    ("payment-method", "billing", "Change the card we charge",
     "Open **Settings → Billing → Payment method** and add the new card; it becomes the default at once. We "
     "never store full card numbers: the card is kept by our payment provider.", "card, payment"),
    ("cancel", "billing", "Cancel your subscription",
     "Admins can cancel under **Settings → Billing → Cancel subscription**. Your data stays available for 30 "
     "days after the paid period ends; export what you need before then.", "cancel"),
    ("export-empty", "reports", "CSV export is empty or only has the header row",
     "If an export only contains the header row, check the report's filters: an export uses the filters saved "
     "with the report, not the ones you changed on screen.\n\nA bug cut off exports of reports filtered to "
     "*last quarter*; it is fixed. Run the export again; if the rows are still missing, write to us with the "
     "report's name.", "export, csv"),
    ("export-csv", "reports", "Export a report to CSV or Excel",
     "Open the report, choose **Export** and pick CSV or Excel. Large exports are prepared in the background "
     "and e-mailed to you as a download link that is valid for 7 days.", "export, csv, excel"),
    ("schedule-report", "reports", "Schedule a report by e-mail",
     "Choose **Schedule** on any report to e-mail it daily, weekly or monthly. Recipients do not need an "
     "account; the e-mail contains the report as a PDF and a CSV attachment.", "report, schedule"),
    ("dashboard-slow", "reports", "Dashboards load slowly",
     "Dashboards with many widgets over long periods can take a while. To speed them up:\n\n- Limit widgets "
     "to the last 90 days.\n- Split one big dashboard into several.\n- Use **Refresh** rarely: the data "
     "refreshes itself every 15 minutes.\n\nIf one dashboard takes more than 30 seconds, tell us its name.",
     "dashboard, performance"),
    ("date-filters", "reports", "How date filters work",
     "Date filters use your workspace's time zone. *Last quarter* means the previous full calendar quarter; "
     "*last 90 days* counts back from today.", "filters"),
    ("crm-sync", "integrations", "CRM sync stopped or records are missing",
     "When the CRM sync stops, the connection's access token has usually expired or been revoked.\n\n1. Open "
     "**Settings → Integrations**.\n2. Choose **Reconnect** next to your CRM and sign in again.\n3. Choose "
     "**Sync now**.\n\nRecords changed while the sync was stopped are picked up by the next sync.",
     "crm, sync, integration"),
    ("api-keys", "integrations", "Create an API key",
     "Admins create API keys under **Settings → API**. A key is shown once: store it in your password manager. "
     "Revoke a key there as soon as you no longer need it.", "api, key"),
    ("rate-limit", "integrations", "API rate limits and “429 Too Many Requests”",
     "Each API key may send 600 requests per minute. Over that, the API answers `429 Too Many Requests` with a "
     "`Retry-After` header: wait that many seconds and retry. Use bulk endpoints instead of one request per "
     "record.", "api, rate limit"),
    ("webhooks", "integrations", "Receive webhooks",
     "Add your endpoint under **Settings → API → Webhooks** and choose the events you want. Each delivery is "
     "signed; check the `X-Signature` header with your webhook secret. Failed deliveries are retried for "
     "24 hours.", "webhooks, api"),
    ("mobile-crash", "mobile", "The mobile app crashes when it starts",
     "Update the app to the latest version from the App Store or Google Play. If it still crashes, sign out, "
     "delete the app, install it again and sign in. Tell us your phone model and system version if that does "
     "not help.", "mobile, crash"),
    ("push", "mobile", "I don't get push notifications",
     "Check that notifications are allowed for the app in your phone's settings, and that **Profile → "
     "Notifications** has push turned on. Notifications are not sent while you are active in the web app.",
     "notifications, push"),
    ("email-notifications", "mobile", "Choose which e-mails you receive",
     "Open **Profile → Notifications** to turn each kind of e-mail on or off: reports, mentions, weekly "
     "summaries. Billing e-mails always go to the billing contact.", "notifications, e-mail"),
    ("offline", "mobile", "Use the mobile app offline",
     "Dashboards you opened recently stay readable offline. Changes you make offline are sent when your phone "
     "is back online.", "mobile, offline"),
)

TRANSLATIONS = (
    # original key, locale, title, body
    ("password", "ru", "Как сбросить пароль",
     "Если вы забыли пароль, откройте страницу входа и нажмите **Забыли пароль**. Мы отправим на вашу почту "
     "ссылку для сброса, она действует один час.\n\nПисьмо не пришло? Проверьте папку «Спам» и попросите "
     "IT-отдел разрешить почту с `tandem.example`."),
    ("double-charge", "ru", "С меня списали деньги дважды",
     "Двойное списание обычно случается, когда платёжная система повторяет уже прошедший платёж. Напишите нам "
     "номер счёта — мы сразу вернём лишнее. Возврат приходит на карту за **5–10 рабочих дней**."),
    ("export-empty", "ru", "Экспорт в CSV пустой или содержит только заголовок",
     "Если в выгрузке только строка заголовка, проверьте фильтры отчёта: экспорт использует сохранённые "
     "фильтры. Ошибка с фильтром *прошлый квартал* исправлена — запустите экспорт ещё раз."),
    ("sso", "ru", "Вход через SSO (SAML): ошибка «invalid SAML response»",
     "Ошибка означает, что сертификат подписи вашего провайдера удостоверений изменился. Загрузите новый "
     "сертификат в **Настройки → Безопасность → Единый вход** и войдите снова."),
    ("refund", "ru", "Возврат денег при отмене подписки",
     "Если вы отменяете подписку в течение 14 дней после продления, мы возвращаем неиспользованную часть на "
     "карту. Деньги приходят за 5–10 рабочих дней."),
    ("password", "bg", "Как да смените забравена парола",
     "Ако сте забравили паролата си, отворете страницата за вход и натиснете **Забравена парола**. Ще получите "
     "имейл с връзка, която е валидна един час."),
    ("double-charge", "bg", "Таксуваха ме два пъти",
     "Двойно таксуване се случва, когато платежният доставчик повтори вече успешно плащане. Пишете ни с "
     "номера на фактурата и ще възстановим излишната сума до 5–10 работни дни."),
    ("crm-sync", "bg", "Синхронизацията с CRM спря",
     "Обикновено токенът за достъп е изтекъл. Отворете **Настройки → Интеграции**, изберете **Свържи отново** "
     "и след това **Синхронизирай сега**."),
    ("password", "zh-Hant", "如何重設密碼",
     "如果忘記密碼，請在登入頁面點選**忘記密碼**。我們會寄送重設連結到您的電子郵件，連結一小時內有效。"),
    ("double-charge", "zh-Hant", "我被重複扣款了",
     "重複扣款通常是付款服務商重試了一筆其實已成功的付款。請提供發票號碼，我們會立即退還重複的金額，"
     "款項約在 5–10 個工作天內退回您的信用卡。"),
    ("export-empty", "zh-Hant", "匯出的 CSV 檔案是空的",
     "如果匯出檔只有標題列，請檢查報表儲存的篩選條件。「上一季」篩選的錯誤已修正，請重新匯出。"),
    ("mobile-crash", "zh-Hant", "行動應用程式啟動時當機",
     "請從 App Store 或 Google Play 更新到最新版本。若仍然當機，請登出、刪除並重新安裝應用程式。"),
    ("password", "ja", "パスワードをリセットする",
     "パスワードを忘れた場合は、ログイン画面で**パスワードをお忘れですか**をクリックしてください。"
     "リセット用のリンクをメールでお送りします。リンクの有効期限は1時間です。"),
    ("double-charge", "ja", "二重に請求された",
     "二重請求は、決済サービスがすでに完了した支払いを再試行した場合に起こります。請求書番号をお知らせ"
     "いただければ、重複分をすぐに返金します。返金は5〜10営業日でカードに反映されます。"),
    ("sso", "ja", "SSO（SAML）で「invalid SAML response」と表示される",
     "IDプロバイダーの署名証明書が更新された可能性があります。新しい証明書を**設定 → セキュリティ → "
     "シングルサインオン**にアップロードしてください。"),
    ("push", "ja", "プッシュ通知が届かない",
     "スマートフォンの設定でアプリの通知が許可されているか、**プロフィール → 通知**でプッシュ通知が"
     "オンになっているかを確認してください。"),
)

INTERNAL = ("billing", "Refund and credit policy (internal)",
            "**Staff only.** Agents may refund a duplicate charge at once without approval. Goodwill credits up "
            "to one month's fee need a team lead; anything above goes to the account's CSM.\n\nAlways add an "
            "internal note with the payment provider's reference.", "refund, policy")


def seed_kb_articles(demo):
    author = demo.users.get("agent@example.com")
    categories = {}
    for position, (slug, name, description, names) in enumerate(CATEGORIES, start=1):
        category = KbCategory(name=name, slug=slug, description=description, position=position, names=names)
        db.session.add(category)
        categories[slug] = category
    db.session.flush()

    articles, by_key = [], {}
    for index, (key, slug, title, body, tags) in enumerate(ARTICLES):
        # Written over the demo's history, oldest first, with a plausible readership.
        when = demo.started_at + timedelta(days=index * 2)
        article = KbArticle(title=title, body=body, locale="en", status="published", visibility="public",
                            category_id=categories[slug].id, tags=[t.strip() for t in tags.split(",")],
                            author_id=author.id if author else None, created_at=when, updated_at=when,
                            published_at=when, view_count=demo.rng.randint(20, 900),
                            helpful_yes=demo.rng.randint(3, 60), helpful_no=demo.rng.randint(0, 12))
        db.session.add(article)
        articles.append(article)
        by_key[key] = article
    db.session.flush()

    for key, locale, title, body in TRANSLATIONS:
        original = by_key[key]
        original.translation_group_id = original.id
        when = original.created_at + timedelta(days=3)
        article = KbArticle(title=title, body=body, locale=locale, status="published", visibility="public",
                            category_id=original.category_id, tags=list(original.tags),
                            translation_group_id=original.id, author_id=author.id if author else None,
                            created_at=when, updated_at=when, published_at=when,
                            view_count=demo.rng.randint(5, 200), helpful_yes=demo.rng.randint(1, 20),
                            helpful_no=demo.rng.randint(0, 4))
        db.session.add(article)
        articles.append(article)
        by_key[(key, locale)] = article

    slug, title, body, tags = INTERNAL
    internal = KbArticle(title=title, body=body, locale="en", status="published", visibility="internal",
                         category_id=categories[slug].id, tags=[t.strip() for t in tags.split(",")],
                         author_id=author.id if author else None, created_at=demo.started_at,
                         updated_at=demo.started_at, published_at=demo.started_at)
    db.session.add(internal)
    articles.append(internal)
    db.session.flush()

    demo.kb_articles = by_key
    ids = [a.id for a in articles]

    # seed_demo deletes the jobs its steps record; index jobs recorded when its transaction commits
    # survive that. Savepoint commits of later steps fire before_commit too: skip those.
    pending = {"ids": ids}

    def _queue_indexing(session):
        if session.in_nested_transaction() or not pending["ids"]:
            return
        for article_id in pending.pop("ids"):
            enqueue("kb.index_article", article_id)
        pending["ids"] = []

    event.listen(db.session(), "before_commit", _queue_indexing)
    return articles


# The help center's last 30 days, so the content-gap and deflection reports have something to show.
# Searches: query, searcher's locale, the article opened from the results (an English key, or
# (key, locale) for a translation; None: nothing worth opening), times searched, share opened.
SEARCHES = (
    ("reset password", "en", "password", 14, 0.8),
    ("charged twice", "en", "double-charge", 9, 0.9),
    ("csv export empty", "en", "export-empty", 8, 0.75),
    ("cancel subscription", "en", "cancel", 7, 0.7),
    ("download invoice", "en", "invoice-download", 6, 0.85),
    ("invalid saml response", "en", "sso", 5, 0.8),
    ("429 too many requests", "en", "rate-limit", 4, 0.75),
    ("забыл пароль", "ru", ("password", "ru"), 4, 0.75),
    ("таксуваха ме два пъти", "bg", ("double-charge", "bg"), 3, 0.67),
    ("匯出的檔案是空的", "zh-Hant", ("export-empty", "zh-Hant"), 3, 0.67),
    ("プッシュ通知が届かない", "ja", ("push", "ja"), 3, 0.67),
    # Results shown, hardly ever opened: questions the FAQ does not answer yet.
    ("change billing currency", "en", None, 6, 0.0),
    ("delete my account", "en", "cancel", 5, 0.2),
    ("merge two workspaces", "en", None, 4, 0.0),
    ("xero integration", "en", None, 3, 0.0),
)
# Searches that found nothing: query, locale, times.
NO_RESULT = (
    ("salesforce custom fields", "en", 4),
    ("white label", "en", 3),
    ("gantt chart", "en", 2),
    ("ダークモード", "ja", 2),
)
# Visits to the request form: what the customer typed, the suggested article they opened, and how
# many visits then left without sending a request (deflected), sent one anyway, or were shown
# suggestions, opened none and sent the request.
VISITS = (
    ("I forgot my password", "en", "password", 9, 2, 1),
    ("we were charged twice this month", "en", "double-charge", 6, 2, 1),
    ("CSV export only has the header", "en", "export-empty", 5, 1, 2),
    ("SAML login error invalid response", "en", "sso", 3, 2, 1),
    ("push notifications not working on iPhone", "en", "push", 3, 1, 1),
    ("CRM sync stopped", "en", "crm-sync", 2, 2, 2),
    ("dashboard takes forever to load", "en", "dashboard-slow", 2, 1, 2),
    ("не приходит письмо для сброса пароля", "ru", ("password", "ru"), 2, 0, 1),
    ("アプリが起動しない", "ja", "mobile-crash", 1, 1, 0),
)
ACTIVITY_DAYS = 30


def seed_kb_activity(demo):
    """Searches, suggestions and deflections over the last 30 days, recorded by the same services
    as real visits (`searching`, `deflection`), each at its own past time."""
    rng, articles = demo.rng, demo.kb_articles
    # Visits end before their grace period does (a deflection counts once it is over).
    earliest = max(1, deflection.grace_minutes() / 60 + 0.5)

    def when():
        return demo.now - timedelta(hours=rng.uniform(earliest, ACTIVITY_DAYS * 24 - 1))

    for query, locale, opened, times, share in SEARCHES:
        for i in range(times):
            row = searching.log_search(query, locale, rng.randint(3, 10), source="search", now=when())
            if opened is not None and i < round(times * share):
                searching.record_click(row.id, articles[opened].id)
    for query, locale, times in NO_RESULT:
        for _ in range(times):
            searching.log_search(query, locale, 0, source="search", now=when())

    visit = 0
    for text, locale, opened, deflected, opened_then_sent, sent in VISITS:
        article = articles[opened]
        others = [a.id for a in articles.values()
                  if a.category_id == article.category_id and a.locale == "en" and a.id != article.id][:2]
        shown = [article.id] + others
        for outcome in ["deflected"] * deflected + ["opened, sent"] * opened_then_sent + ["sent"] * sent:
            visit += 1
            token = f"demo-visit-{visit:04d}-{rng.getrandbits(32):08x}"
            at = when()
            row = searching.log_search(text, locale, len(shown), source="suggest", token=token, now=at)
            deflection.record_shown(token, text, locale, shown, now=at)
            if outcome != "sent":
                at += timedelta(minutes=rng.uniform(0.5, 3))
                searching.record_click(row.id, article.id)
                deflection.record_open(token, article.id, now=at)
            if outcome != "deflected":
                deflection.record_submitted(token, now=at + timedelta(minutes=rng.uniform(1, 10)))
