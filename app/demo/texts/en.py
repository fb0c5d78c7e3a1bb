"""English demo texts."""

REPORTS = ("Quarterly revenue", "Pipeline by stage", "Churned accounts", "Weekly signups", "Open invoices")

TOPICS = {
    "export_empty": {
        "subject": "CSV export of \"{report}\" is empty",
        "body": "Hi, when I export the \"{report}\" report to CSV the file only has the header row. "
                "The report shows {n} rows on screen. This started after last week's update. "
                "We need this for our board meeting, can you help?",
        "reply": "Hi {name}, thanks for the details. Exports of reports with a date filter set to "
                 "\"last quarter\" were cut off by a bug in the new exporter. We shipped a fix this morning: "
                 "please run the export of \"{report}\" again and let us know if the rows are there.",
        "note": "Same exporter regression as the other export tickets this week; engineering fix is deployed.",
    },
    "double_charge": {
        "subject": "We were charged twice this month",
        "body": "Hello, our card was charged twice for the same subscription this month ({amount} each time). "
                "Invoice {invoice} appears twice in our bank statement. Please refund the duplicate payment.",
        "reply": "Hi {name}, I'm sorry about that. The payment provider retried a charge that had in fact gone "
                 "through. I've refunded the duplicate {amount}; it should appear on your statement within "
                 "5–10 business days.",
        "note": "Duplicate charge confirmed in the billing console, refund issued.",
    },
    "invoice_details": {
        "subject": "Please add our VAT number to invoice {invoice}",
        "body": "Hi, our accounting team can't book invoice {invoice} because it doesn't show our VAT number "
                "and the company name changed last month. Could you reissue it with the new details?",
        "reply": "Hi {name}, I've updated the billing profile with the new company name and VAT number and "
                 "reissued {invoice}. You can download the corrected PDF under Settings → Billing → Invoices.",
        "note": "Billing profile updated; future invoices will carry the VAT number automatically.",
    },
    "sso_login": {
        "subject": "SSO login fails with \"invalid SAML response\"",
        "body": "Since this morning none of our {n} users can log in through our identity provider. "
                "They get \"invalid SAML response\" after entering their credentials. Password login still works "
                "for admins. This is blocking our whole team.",
        "reply": "Hi {name}, the error means the signing certificate in your identity provider no longer matches "
                 "the one stored in Tandem; it looks like it was rotated yesterday. Please upload the new "
                 "certificate under Settings → Security → Single sign-on and try again.",
        "note": "Their IdP rotated the signing certificate. Third SSO ticket about rotation this month.",
    },
    "password_reset": {
        "subject": "Password reset e-mail never arrives",
        "body": "I requested a password reset three times but the e-mail never arrives, not even in spam. "
                "Can you check what is going on? I'm locked out of my account.",
        "reply": "Hi {name}, our mail logs show that your company's mail server rejected the message. "
                 "I've sent you a fresh link from a different sender; please also ask your IT team to allow "
                 "mail from our domain.",
        "note": "Recipient server bounced with 550 spam policy. Suggested allow-listing.",
    },
    "add_seats": {
        "subject": "Adding {n} more seats to our plan",
        "body": "Hello, we're onboarding a new team next month and need {n} more seats. "
                "Can you tell me the price and whether the change is prorated?",
        "reply": "Hi {name}, happy to help. Additional seats are prorated to your renewal date, so you only pay "
                 "for the remaining months. I've added {n} seats; the prorated amount will be on your next invoice.",
        "note": "Expansion opportunity: let the CSM know they're growing.",
    },
    "integration_sync": {
        "subject": "{integration} sync stopped working",
        "body": "Our {integration} integration hasn't synced anything since yesterday. The status page in "
                "Settings says \"authorization expired\". We reconnected it but nothing changed.",
        "reply": "Hi {name}, {integration} revoked the old access tokens after their security update. "
                 "Please disconnect the integration completely, then connect it again so a new token is issued. "
                 "The missing records will sync within an hour.",
        "note": "Known issue after the {integration} token change; reconnect fixes it.",
    },
    "api_rate_limit": {
        "subject": "API returns 429 Too Many Requests",
        "body": "Our nightly job that calls your API started failing with 429 errors after about {n} requests. "
                "We didn't change anything on our side. What are the current limits?",
        "reply": "Hi {name}, the API allows 600 requests per minute per token. Your job sends its requests in "
                 "bursts; please honour the Retry-After header or spread the requests out, and use the "
                 "bulk endpoints where you can.",
        "note": "Customer hits the burst limit; could suggest a higher tier.",
    },
    "mobile_crash": {
        "subject": "{app} app crashes on start",
        "body": "The {app} app closes immediately after the splash screen since the last update. "
                "I reinstalled it and restarted my phone, same result.",
        "reply": "Hi {name}, thank you for reporting this. Version 4.2 of the {app} app crashes when the "
                 "offline cache is large. We've released 4.2.1 with a fix; please update from the store.",
        "note": "Crash in 4.2 offline cache migration; fixed in 4.2.1.",
    },
    "dashboard_slow": {
        "subject": "Dashboard takes forever to load",
        "body": "The main dashboard takes more than {n} seconds to load for everyone in our team, "
                "especially the \"{report}\" widget. It used to be instant.",
        "reply": "Hi {name}, the \"{report}\" widget was recalculating over all of your history on every visit. "
                 "We've enabled caching for your account; the dashboard should load in under two seconds now.",
        "note": "Slow widget query for large accounts; engineering ticket filed.",
    },
    "notifications_missing": {
        "subject": "Not receiving e-mail notifications",
        "body": "I stopped getting e-mail notifications when someone mentions me or assigns me a task. "
                "My notification settings look correct.",
        "reply": "Hi {name}, your address was on our suppression list after a temporary bounce. "
                 "I've removed it, so notifications will arrive again from now on.",
        "note": "Address was suppressed after a soft bounce.",
    },
    "cancel_refund": {
        "subject": "Cancel our subscription and refund",
        "body": "We've decided to stop using the product at the end of this month. Please cancel our "
                "subscription and refund the unused part of the annual plan ({amount}).",
        "reply": "Hi {name}, sorry to see you go. I've scheduled the cancellation for the end of the month and "
                 "passed the refund request to our billing team. May I ask what made you decide to leave?",
        "note": "Churn risk: flag to the CSM before the refund is processed.",
    },
}

ASK_MORE = (
    "Hi {name}, could you send us a screenshot and the exact time when it happened? That will help us find it in the logs.",
    "Hi {name}, which browser and version are you using? Does it also happen in a private window?",
)
CUSTOMER_MORE = (
    "Here is the screenshot. It happened around 10:15 our time.",
    "We use Chrome, the latest version. Same thing in a private window.",
)
CUSTOMER_THANKS = (
    "That fixed it, thank you for the quick help!",
    "Works now. Thanks a lot!",
)
CUSTOMER_REOPEN = (
    "Unfortunately the problem is back since this morning.",
)
SOLVED = (
    "Glad it works again, {name}. I'm marking this as solved; just reply if anything else comes up.",
    "Great, {name}! Closing this one. Have a nice day.",
)
HOLD_NOTES = (
    "Waiting for engineering to confirm the fix is deployed to all regions.",
    "Escalated to the payment provider; waiting for their answer.",
)
