"""Issue 32, F2, as an attack on a real `budgetkg serve` over loopback: attackers take a fresh
address for each attack, look like a good client with one cheap ASK, then send a memory bomb
or a slow query; a client that has used the endpoint for a while must still be answered."""

import asyncio
import time
from dataclasses import dataclass, field

import httpx
import pytest
from servers import SLOW, start, use_for_a_while

CHEAP = "ASK { ?s ?p ?o }"
# Memory grows with the rows joined into one string: past any memory limit within seconds.
BOMB = (
    'SELECT (GROUP_CONCAT(CONCAT(STR(?a), STR(?b), STR(?c), STR(?d)); separator=",") AS ?g) '
    "WHERE { ?a ?b ?c . ?d ?e ?f }"
)
VICTIM = "127.0.1.1"
# The victim's use of the endpoint before the attack: longer than the probation that good
# standing needs (budgetkg.server.admission.PROBATION_SECONDS, 10 s).
WARM_UP_SECONDS = 12.0
# A victim's query counts as answered when it gets 200 this soon (its ASK takes milliseconds;
# the issue's own bound is 1 s, relaxed for a loaded 2-core machine).
ANSWERED_SECONDS = 3.0


@dataclass
class Tally:
    stopped: int = 0  # attack queries answered 503 at a limit: each ended a process or a sandbox
    attacks: int = 0
    victim: list[tuple[int | str, float]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


async def _post(address: str, url: str, query: str, timeout: float) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        return await client.post(url + "/sparql", data={"query": query}, headers={"Accept": "application/json"})


async def _attacker(url: str, addresses, query: str, tally: Tally, wanted: int) -> None:
    """From each fresh address in turn: one ASK, then ``query``, until ``wanted`` were stopped at a limit."""
    for address in addresses:
        if tally.done.is_set():
            return
        try:
            await _post(address, url, CHEAP, 30)
            r = await _post(address, url, query, 120)
        except httpx.HTTPError:
            await asyncio.sleep(0.05)
            continue
        tally.attacks += 1
        if r.status_code == 503 and "x-budgetkg-limit" in r.headers:
            tally.stopped += 1
            if tally.stopped >= wanted:
                tally.done.set()
        elif r.status_code == 503:
            await asyncio.sleep(0.05)  # refused at once: not a busy loop


async def _victim_query(url: str) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        r = await _post(VICTIM, url, CHEAP, 30)
        status: int | str = r.status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return status, time.monotonic() - started


async def _attack(url: str, query: str, *, attackers: int, wanted: int, deadline: float) -> Tally:
    tally = Tally()
    # A client that has used the endpoint a while.
    await use_for_a_while(lambda: _post(VICTIM, url, CHEAP, 30), WARM_UP_SECONDS)
    addresses = iter([f"127.0.{a}.{b}" for a in range(100, 120) for b in range(2, 252)])
    attack = [asyncio.create_task(_attacker(url, addresses, query, tally, wanted)) for _ in range(attackers)]
    waiting = asyncio.create_task(tally.done.wait())
    end = time.monotonic() + deadline
    while not tally.done.is_set() and time.monotonic() < end:
        probe = asyncio.create_task(_victim_query(url))
        await asyncio.wait([probe, waiting], timeout=0.25)  # one every 0.25 s, or fewer when they are slow
        tally.victim.append(await probe)
    waiting.cancel()
    for task in attack:
        task.cancel()
    await asyncio.gather(*attack, waiting, return_exceptions=True)
    return tally


def _answered(tally: Tally) -> float:
    return sum(1 for status, took in tally.victim if status == 200 and took <= ANSWERED_SECONDS) / len(tally.victim)


@pytest.mark.parametrize(
    "query, serve_options, wanted",
    [
        # Each bomb passes the memory limit: on 3ae1a7c it took down the process that ran it
        # and the victim's queries it held, and the endpoint waited for a fresh process.
        pytest.param(BOMB, ("--max-memory", "400", "--timeout", "60"), 6, id="memory-bombs"),
        # Each slow query passes the time limit: on 3ae1a7c, in good standing after its ASK, it
        # took the thread kept for such clients, and its process was replaced.
        pytest.param(SLOW, ("--timeout", "4"), 6, id="slow-queries"),
    ],
)
def test_fresh_addresses_cannot_shut_out_a_client_in_good_standing(store_path, query, serve_options, wanted):
    process, url = start(store_path, *serve_options)
    try:
        tally = asyncio.run(_attack(url, query, attackers=6, wanted=wanted, deadline=300))
    finally:
        process.terminate()
        _, log = process.communicate(timeout=60)
    assert tally.stopped >= wanted, (tally.stopped, tally.attacks)  # the attack did happen
    assert len(tally.victim) >= 10
    # What the server said of its processes (not each stop of a sandbox), should it fail.
    said = [line for line in log.decode(errors="replace").splitlines() if "in the sandbox" not in line]
    assert _answered(tally) >= 0.9, (tally.victim, said)


def test_good_standing_needs_quick_answers_over_the_probation():
    from budgetkg.server.admission import PROBATION_SECONDS, Standing

    standing = Standing()
    standing.record("new", seconds=0.01, stopped=False)  # one ASK from a fresh address
    assert standing.standing("new") == (False, False)
    # An answer that held its thread over half the time limit starts the probation again; a
    # slower one under that (a loaded machine) neither earns nor costs.
    for client, seconds, good in (("held", 20.0, False), ("loaded", 5.0, True)):
        _age(standing, client, PROBATION_SECONDS + 1)
        standing.record(client, seconds=seconds, stopped=False, held=15.0)
        standing.record(client, seconds=0.01, stopped=False)
        assert standing.standing(client) == (good, False), client
    # A client first answered a probation ago (its slot's times moved back), answered again now.
    _age(standing, "old", PROBATION_SECONDS + 1)
    standing.record("old", seconds=0.01, stopped=False)
    assert standing.standing("old") == (True, False)
    standing.record("old", seconds=30, stopped=True)  # stopped at a limit: barred, standing lost
    assert standing.standing("old") == (False, True)


def test_a_stop_in_good_standing_distrusts_every_standing_as_recent():
    from budgetkg.server.admission import PROBATION_SECONDS, Standing

    standing = Standing()
    _age(standing, "victim", 3 * PROBATION_SECONDS)  # in good standing since before the attack
    _age(standing, "prepared-1", 2 * PROBATION_SECONDS)  # addresses the attacker prepared
    _age(standing, "prepared-2", PROBATION_SECONDS + 1)
    for client in ("victim", "prepared-1", "prepared-2"):
        standing.record(client, seconds=0.01, stopped=False)
        assert standing.standing(client) == (True, False)
    standing.record("prepared-2", seconds=30, stopped=True, good=True)  # a bomb from good standing
    assert standing.standing("prepared-1") == (True, False)  # older than the culprit
    standing.record("prepared-1", seconds=30, stopped=True, good=True)  # each stop costs an older one
    assert standing.standing("prepared-1") == (False, True)
    assert standing.standing("victim") == (True, False)
    _age(standing, "later", PROBATION_SECONDS + 1)  # began after the culprits: distrusted for a while
    standing.record("later", seconds=0.01, stopped=False)
    assert standing.standing("later") == (False, False)


def _age(standing, client: str, seconds: float) -> None:
    """Make ``client``'s standing begin ``seconds`` ago: a quick answer then (its slot written back)."""
    from budgetkg.server import admission

    offset = standing._offset(client)
    then = time.monotonic() - seconds
    admission._SLOT.pack_into(standing._map, offset, then, then, 0.0)


async def _prepared_bombs(url: str, prepared: list[str]) -> Tally:
    """The residual attack of issue 32: addresses that earned good standing in advance, each of
    which then sends a bomb, all at once, while the victim (in good standing too) asks on."""
    tally = Tally()
    asks = [use_for_a_while(lambda a=a: _post(a, url, CHEAP, 30), WARM_UP_SECONDS) for a in [VICTIM, *prepared]]
    await asyncio.gather(*asks)

    async def bomb(address: str) -> None:
        for _ in range(10):  # again when another bomb ended the sandbox it was sent to
            r = await _post(address, url, BOMB, 120)
            tally.attacks += 1
            if r.status_code != 503 or "x-budgetkg-limit" in r.headers:
                break
        tally.stopped += r.status_code == 503 and "x-budgetkg-limit" in r.headers

    bombs = asyncio.gather(*(bomb(a) for a in prepared), return_exceptions=True)
    while not bombs.done() or len(tally.victim) < 20:
        probe = asyncio.create_task(_victim_query(url))
        await asyncio.wait([probe], timeout=0.25)
        tally.victim.append(await probe)
    await bombs
    return tally


def test_no_query_of_a_client_in_good_standing_ends_a_server_process(store_path):
    from servers import server_processes

    process, url = start(store_path, "--max-memory", "400", "--timeout", "60")
    try:
        before = server_processes(process.pid)
        tally = asyncio.run(_prepared_bombs(url, [f"127.0.99.{n}" for n in range(2, 6)]))
        after = server_processes(process.pid)
    finally:
        process.terminate()
        _, log = process.communicate(timeout=60)
    assert tally.stopped == 4, (tally.attacks, log.decode(errors="replace")[-3000:])  # each bomb passed the limit
    assert len(before) == 2 and after == before  # and ended a sandbox, never a server process
    assert _answered(tally) >= 0.9, tally.victim
