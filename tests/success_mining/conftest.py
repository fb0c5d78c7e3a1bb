import pytest

from app.success import mining

# Three recurring problems in several languages, plus one-off tickets that belong nowhere.
CARD = [
    ("en", "My new card has not arrived yet"),
    ("en", "I ordered a card two weeks ago and it still hasn't been delivered"),
    ("en", "When will my card arrive? It's been ten days"),
    ("en", "Still waiting for my bank card to arrive in the post"),
    ("en", "The card you sent me never arrived"),
    ("ru", "Моя новая карта до сих пор не пришла"),
    ("ru", "Я заказал карту две недели назад, но её всё ещё не доставили"),
    ("ja", "新しいカードがまだ届きません"),
]
PASSWORD = [
    ("en", "I forgot my password and cannot log in"),
    ("en", "How do I reset my password?"),
    ("en", "Password reset link is not working, I can't sign in"),
    ("en", "I can't remember my password, please help me log in"),
    ("en", "Locked out of my account after forgetting the password"),
    ("ru", "Я забыл пароль и не могу войти в аккаунт"),
    ("ja", "パスワードを忘れてログインできません"),
]
REFUND = [
    ("en", "I was charged twice for the same purchase"),
    ("en", "There is a duplicate charge on my statement"),
    ("en", "The same payment was taken from my account two times"),
    ("en", "Why was my card charged twice for one order?"),
    ("en", "Double charge for a single transaction, please refund one"),
    ("bg", "Таксуваха ме два пъти за една и съща покупка"),
    ("zh-Hant", "同一筆消費被扣款兩次"),
]
ONE_OFFS = [
    ("en", "Can you recommend a good pizza place near your office?"),
    ("en", "The colour of the logo on your website looks slightly off on my monitor"),
    ("en", "Who won the football match last night?"),
]


@pytest.fixture(scope="session")
def corpus():
    rows = [(lang, text, "card") for lang, text in CARD]
    rows += [(lang, text, "password") for lang, text in PASSWORD]
    rows += [(lang, text, "refund") for lang, text in REFUND]
    rows += [(lang, text, None) for lang, text in ONE_OFFS]
    texts = [text for _lang, text, _g in rows]
    langs = [lang for lang, _t, _g in rows]
    groups = [g for _l, _t, g in rows]
    return texts, langs, groups, mining.embed_tickets(texts, langs)
