"""When to (re)obtain a certificate, and how to back off when the CA says no.

- A certificate is renewed when a third of its lifetime is left (a 90-day
  certificate at day 60), or at once when there is none, it is a stand-in,
  or it no longer covers the domains.
- A failed attempt is retried after base * 2^(failures-1) seconds, capped,
  times a random factor in [1 - jitter, 1 + jitter] so that many servers do
  not retry in step; never sooner than the CA's Retry-After.
- The current certificate stays in place until a new one is saved: a failure
  only produces the one-line reason and the time of the next try.

The clock, the wait and the random source are parameters, so tests run the
schedule without sleeping.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Callable

from cryptography import x509

from port443.acme.reasons import AcmeError, one_line

RENEW_WHEN_LEFT = 1 / 3


@dataclass(frozen=True)
class Backoff:
    base: float = 60.0  # seconds before the first retry
    cap: float = 6 * 3600.0  # never wait longer than this between tries
    jitter: float = 0.2  # +-20 %

    def delay(self, failures: int, rng: Callable[[], float]) -> float:
        plain = min(self.cap, self.base * 2 ** max(0, failures - 1))
        return plain * (1 - self.jitter + 2 * self.jitter * rng())


def renewal_time(leaf: x509.Certificate) -> float:
    """The moment (epoch seconds) a third of the leaf's lifetime is left."""
    start, end = leaf.not_valid_before_utc.timestamp(), leaf.not_valid_after_utc.timestamp()
    return end - (end - start) * RENEW_WHEN_LEFT


def describe_delay(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class Failure:
    error: AcmeError
    failures: int  # consecutive failures, this one included
    retry_in: float  # seconds


class RenewalManager:
    """Keeps one certificate fresh: `run(wait)` until wait() says stop, or `attempt()` by hand.

    obtain() returns the new chain (leaf first) after saving it, or raises AcmeError.
    """

    def __init__(self, obtain: Callable[[], tuple[x509.Certificate, ...]],
                 current: tuple[x509.Certificate, ...] | None, *, renew_now: bool = False,
                 on_renewed: Callable[[tuple[x509.Certificate, ...]], None] = lambda chain: None,
                 on_failure: Callable[[Failure], None] = lambda failure: None,
                 clock: Callable[[], float] = time.time, rng: Callable[[], float] = random.random,
                 backoff: Backoff = Backoff()) -> None:
        self.obtain = obtain
        self.current = current
        self.on_renewed, self.on_failure = on_renewed, on_failure
        self.clock, self.rng, self.backoff = clock, rng, backoff
        self.failures = 0
        self.last_failure: Failure | None = None
        self.next_attempt = clock() if renew_now or not current else renewal_time(current[0])

    def seconds_until_due(self) -> float:
        return max(0.0, self.next_attempt - self.clock())

    def attempt(self) -> bool:
        """One try now; True when a new certificate is in place. Never raises."""
        try:
            chain = self.obtain()
        except Exception as exc:  # an AcmeError; anything else is reported the same way, never lost
            error = exc if isinstance(exc, AcmeError) else AcmeError(f"ACME failed: {type(exc).__name__}: "
                                                                      f"{one_line(exc)}")
            self.failures += 1
            delay = self.backoff.delay(self.failures, self.rng)
            if error.retry_after is not None:
                delay = max(delay, error.retry_after)
            self.next_attempt = self.clock() + delay
            self.last_failure = Failure(error, self.failures, delay)
            self.on_failure(self.last_failure)
            return False
        self.failures, self.last_failure = 0, None
        self.current = chain
        self.next_attempt = renewal_time(chain[0])
        self.on_renewed(chain)
        return True

    def run(self, wait: Callable[[float], bool]) -> None:
        """Attempt whenever due; between attempts wait(seconds), which returns True to stop."""
        while True:
            delay = self.seconds_until_due()
            if delay > 0:
                if wait(delay):
                    return
                continue
            self.attempt()

    def valid_until(self) -> dt.datetime | None:
        return self.current[0].not_valid_after_utc if self.current else None
