"""Who someone is: a browser key or a login subject, stored only as a one-way owner id."""

import pytest

from core import identity


def test_owner_ids_are_stable_distinct_and_reveal_nothing():
    key = identity.new_browser_key()
    assert identity.valid_browser_key(key) and key != identity.new_browser_key()
    owner = identity.owner_id(key)
    assert owner == identity.owner_id(key) and len(owner) == 32 and key not in owner
    assert owner != identity.owner_id(identity.new_browser_key())
    # A login subject that happens to equal a browser key is still another person.
    assert identity.owner_id(key, "login") != owner
    with pytest.raises(ValueError):
        identity.owner_id("")


def test_only_a_key_shaped_cookie_is_taken():
    for sent in (None, "", "0" * 31, "g" * 32, "A" * 32, "0" * 32 + ";x", 12):
        assert not identity.valid_browser_key(sent)
    assert identity.valid_browser_key("0123456789abcdef" * 2)
