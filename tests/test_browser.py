"""The three faces in a real headless Chromium: shopper chat, embedded widget, staff copilot.

Screenshots of failing tests land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import STAFF_PASSWORD, STAFF_USER

pytestmark = pytest.mark.browser

QUESTION = "How much are the Beats Flex Wireless Earphones?"
# The stand-in model runs these tests; a first answer can take a while on 2 cores.
ANSWER_TIMEOUT = 90_000


def ask_in_chat(page: Page, server: str, text: str) -> None:
    page.goto(f"{server}/chat/")
    box = page.locator("#aisle-input textarea")
    box.wait_for(timeout=30_000)
    box.fill(text)
    page.locator("#aisle-send").click()


def sign_in_staff(page: Page, server: str) -> None:
    page.goto(f"{server}/staff")
    page.fill("input[name=username]", STAFF_USER)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/staff", timeout=15_000)


def test_shopper_chat_shows_a_cited_product_card_with_the_right_price(page: Page, web_server: str) -> None:
    ask_in_chat(page, web_server, QUESTION)
    card = page.locator("[data-aisle=card]").first
    expect(card).to_contain_text("Beats Flex Wireless Earphones", timeout=ANSWER_TIMEOUT)
    expect(card).to_contain_text("$49.99")
    expect(card).to_contain_text("In stock")
    expect(page.locator("#aisle-chatbot")).to_contain_text("$49.99")
    # The conversation survives a reload.
    page.reload()
    expect(page.locator("#aisle-chatbot")).to_contain_text(QUESTION, timeout=15_000)


def test_the_widget_on_the_demo_page_answers(page: Page, web_server: str) -> None:
    page.goto(f"{web_server}/demo")
    page.locator("[data-aisle=bubble]").click()
    page.locator("[data-aisle=input]").fill(QUESTION)
    page.locator("[data-aisle=send]").click()
    answer = page.locator("[data-aisle=message][data-role=assistant]").last
    expect(answer).not_to_be_empty(timeout=ANSWER_TIMEOUT)
    card = page.locator("[data-aisle=card]").first
    expect(card).to_contain_text("Beats Flex Wireless Earphones", timeout=ANSWER_TIMEOUT)
    expect(card).to_contain_text("$49.99")


def test_staff_pages_need_a_login(page: Page, web_server: str) -> None:
    page.goto(f"{web_server}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.fill("input[name=username]", STAFF_USER)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/login\?error=1"))
    expect(page.locator("body")).to_contain_text("Wrong username or password")


def test_a_hand_off_reaches_the_staff_queue_and_an_edited_reply_reaches_the_shopper(
    page: Page, web_server: str
) -> None:
    shopper = page
    ask_in_chat(shopper, web_server, "I want to talk to a person")
    expect(shopper.locator("#aisle-chatbot")).to_contain_text("support team", timeout=ANSWER_TIMEOUT)

    staff = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[union-attr]
    sign_in_staff(staff, web_server)
    # Longest-waiting first: this shopper's hand-off is the newest, at the end of the queue.
    waiting = staff.locator("[data-staff=waiting] [data-staff=conversation][data-mode=handoff]").last
    expect(waiting).to_be_visible(timeout=15_000)
    expect(waiting).to_contain_text("support team")
    waiting.click()
    expect(staff.locator("[data-staff=transcript]")).to_contain_text("I want to talk to a person", timeout=15_000)

    staff.locator("[data-staff=suggest]").click()
    reply = staff.locator("[data-staff=reply]")
    expect(reply).not_to_have_value("", timeout=ANSWER_TIMEOUT)
    reply.fill("Hi, this is Maria from the store. How can I help with your order?")
    staff.locator("[data-staff=send]").click()
    expect(staff.locator("[data-staff=message][data-role=staff]").last).to_contain_text("Maria from the store")

    expect(shopper.locator("#aisle-chatbot")).to_contain_text("Maria from the store", timeout=20_000)
    staff.context.close()


def test_a_recommendation_card_says_why_it_was_picked(page: Page, web_server: str) -> None:
    ask_in_chat(page, web_server, "Can you recommend something?")
    reason = page.locator("[data-aisle=card] [data-aisle=reason]").first
    expect(reason).not_to_be_empty(timeout=ANSWER_TIMEOUT)


def test_the_owner_writes_promo_copy_and_puts_it_live_from_the_analytics_page(page: Page, web_server: str) -> None:
    sign_in_staff(page, web_server)
    page.get_by_role("link", name="Analytics & promos").click()
    expect(page).to_have_url(f"{web_server}/staff/analytics")
    expect(page.locator("[data-analytics=chat]")).to_contain_text("conversations")
    page.fill("input[name=product_id]", "107")
    page.fill("input[name=n]", "1")
    page.get_by_role("button", name="Write variants").click()
    draft = page.locator("[data-draft]").first
    expect(draft).to_contain_text("Beats Flex", timeout=ANSWER_TIMEOUT)
    promo_id = draft.get_attribute("data-draft")
    row = page.locator(f"[data-promo='{promo_id}']")
    expect(row).to_be_visible(timeout=15_000)
    if row.locator(".pill").inner_text() == "paused":
        row.get_by_role("button", name="Resume").click()
    expect(row.locator(".pill")).to_have_text("live", timeout=15_000)


def test_a_shopper_sees_why_and_clears_their_profile_in_the_chat(page: Page, web_server: str) -> None:
    ask_in_chat(page, web_server, "I'm vegan, looking for a gift for my daughter")
    expect(page.locator("#aisle-chatbot [data-testid=bot]").last).not_to_be_empty(timeout=ANSWER_TIMEOUT)
    page.get_by_text("Why am I seeing these suggestions?").click()
    page.locator("#aisle-profile-show").click()
    expect(page.locator("#aisle-profile")).to_contain_text("I'm vegan", timeout=15_000)
    page.locator("#aisle-profile-clear").click()
    expect(page.locator("#aisle-profile")).to_contain_text("Cleared", timeout=15_000)
    page.locator("#aisle-profile-show").click()
    expect(page.locator("#aisle-profile")).to_contain_text("know nothing about your interests", timeout=15_000)
