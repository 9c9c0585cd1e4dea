"""Officials: checkpoints, courts and patron-client chains up to the capital.

Border and customs officers at crossings, police and gendarmes in towns and at gold sites,
administrators in towns, a judge at each regional capital, and senior patrons in Bamako
(000; 002 §II, §III). Every official but the senior patrons has a patron: the administrator
of his regional capital, whose own patron sits in the capital, so complicity can run "all the
way to the capital" (002 §III; M12, M15).

At an encounter the official on duty may detect contraband (his skill and equipment, the
checkpoint's pressure, the good's detectability, and the state's presence there). Having
detected it, he takes a bribe or seizes, with odds that rise with the bribe relative to his
pay and with his patron's protection, and fall with his integrity and the risk that
oversight catches him, which needs political will at the top (M3, M12, M15). A corrupt
official also demands routine payments at undetected encounters. A share of every bribe goes
up the chain. Seizures can end in arrest; the judge of the region tries the case, may be
bought, and a conviction can be undone higher up for well-connected networks (M12).

Officials implement :class:`sim.enforcement.Enforcement` in place of the stand-in checkpoints
in Mali; places abroad are the neighbours' (:class:`sim.neighbours.Neighbours`), whose rates
they take in and who settle the encounters there.
"""

from __future__ import annotations

import enum
import typing
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.table import AgentTable, TableAgent
from sim.agents.trafficker import State
from sim.enforcement import Encounters, Outcome, Rates, checkpoint_pressure, detection_odds, subset
from sim.levers import either
from sim.world.tables import PLACE_KINDS

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.model import SahelModel


class Role(enum.IntEnum):
    """What an official does (002 §II, §III)."""

    BORDER = 0  # border and customs
    POLICE = 1  # police and gendarmes
    ADMINISTRATOR = 2
    JUDGE = 3
    PATRON = 4  # senior patron in the capital


class Official(TableAgent):
    """An official: a Mesa agent whose state is one row of :class:`Officials`."""

    @property
    def role(self) -> Role:
        """What the official does."""
        return Role(int(self._get("role")))

    @property
    def post(self) -> str:
        """Place id of the official's post."""
        return self.model.world.place_ids[int(self._get("post"))]

    @property
    def integrity(self) -> float:
        """0: always for sale; 1: incorruptible."""
        return float(self._get("integrity"))

    @property
    def wealth(self) -> float:
        """Bribes and kickbacks received, in US dollars."""
        return float(self._get("wealth"))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Officials(AgentTable):
    """All officials, their checkpoint rates and the justice chain.

    Args:
        model: The model.
    """

    AGENT = Official
    COLUMNS: typing.ClassVar[dict[str, type]] = {
        "role": np.int8,
        "post": np.int64,
        "integrity": np.float64,
        "pay": np.float64,
        "patron": np.int64,
        "capacity": np.float64,
        "wealth": np.float64,
        "bribes": np.int64,
        "seizures": np.int64,
    }
    holds_trials = True

    def __init__(self, model: SahelModel):
        super().__init__(model, size=256)
        self.p = p = model.params.officials
        world = model.world
        self.world = world
        self.oversight, self.political_will = p.oversight, p.political_will
        self.pressure = checkpoint_pressure(world, model.params.checkpoints)
        self.neighbours = model.neighbours
        self._post_officials()
        duty = np.isin(self.cols["role"], [Role.BORDER, Role.POLICE]) & self.alive
        self.duty = np.flatnonzero(duty)
        order = np.argsort(self.post[self.duty], kind="stable")
        self.duty = self.duty[order]
        posts = self.post[self.duty]
        self.duty_start = np.searchsorted(posts, np.arange(world.n_places), side="left")
        self.duty_count = np.bincount(posts, minlength=world.n_places)
        self.staffed = (self.duty_count > 0) & world.in_mali
        cargo = np.array([g.crew_capacity * 0.5 * (g.value_source_usd + g.value_sink_usd) for g in world.goods])
        self.cargo_ref = cargo
        self.cases: list[tuple[int, int, int]] = []  # (crew, judge, verdict week)
        self.events = dict.fromkeys(("convictions", "convictions_undone", "acquittals"), 0)
        nb = self.neighbours.rates
        self.rates = Rates(
            seize=nb.seize.copy(),
            settle=nb.settle.copy(),
            settle_share=np.where(world.in_mali, p.bribe_share, nb.settle_share),
            routine=nb.routine.copy(),
            routine_share=nb.routine_share.copy(),
            staffed=self.staffed | nb.staffed,
            closed=nb.closed.copy(),
        )
        self.update()

    # --- set-up -----------------------------------------------------------------------

    def _post_officials(self) -> None:
        """Post officials at every Malian crossing, town and gold site; courts at regional capitals."""
        world, p, rng = self.world, self.p, self.model.rng
        kind = world.kind
        posts: list[tuple[int, Role]] = []
        capitals = {
            world.region[i]: i for i in range(world.n_places) if world.in_mali[i] and world.names[i] == world.region[i]
        }
        for i in np.flatnonzero(world.in_mali):
            k = PLACE_KINDS[kind[i]]
            if k == "crossing":
                posts += [(i, Role.BORDER)] * p.border_per_crossing
            elif k == "town" or k == "source":
                posts += [(i, Role.POLICE)] * p.police_per_town + [(i, Role.ADMINISTRATOR)]
            elif k == "gold_site":
                posts += [(i, Role.POLICE)]
        for i in capitals.values():
            posts.append((i, Role.JUDGE))
        capital = capitals.get("Bamako", next(iter(capitals.values())))
        posts += [(capital, Role.PATRON)] * p.senior_patrons
        rows = self.add(len(posts))
        c = self.cols
        c["post"][rows] = [i for i, _ in posts]
        c["role"][rows] = [r for _, r in posts]
        mean, k = p.integrity_mean, p.integrity_spread
        c["integrity"][rows] = rng.beta(mean * k, max((1 - mean) * k, 1e-9), size=len(rows))  # mean 1: all 1
        pay_scale = {Role.BORDER: 1.0, Role.POLICE: 1.0, Role.ADMINISTRATOR: 1.5, Role.JUDGE: 2.5, Role.PATRON: 8.0}
        c["pay"][rows] = [p.pay_usd * pay_scale[r] for _, r in posts]
        c["capacity"][rows] = p.capacity
        # Patron-client chains: local officials -> administrator of the regional capital -> a senior patron.
        seniors = rows[c["role"][rows] == Role.PATRON]
        regional = {}
        for r in rows:
            if c["role"][r] == Role.ADMINISTRATOR and c["post"][r] in capitals.values():
                regional[world.region[c["post"][r]]] = r
        c["patron"][rows] = -1
        for r in rows:
            role = c["role"][r]
            if role == Role.PATRON:
                continue
            boss = regional.get(world.region[c["post"][r]])
            if boss is None or boss == r:
                c["patron"][r] = seniors[rng.integers(len(seniors))]
            else:
                c["patron"][r] = boss

    # --- decisions --------------------------------------------------------------------

    def protection(self, rows: np.ndarray) -> np.ndarray:
        """How far an official's patrons shield him: their mean complicity up the chain (M15)."""
        total = np.zeros(len(rows))
        depth = np.zeros(len(rows))
        cur = self.patron[rows]
        for _ in range(3):
            has = cur >= 0
            total[has] += 1.0 - self.integrity[cur[has]]
            depth[has] += 1
            cur = np.where(has, self.patron[np.maximum(cur, 0)], -1)
        return np.divide(total, depth, out=np.zeros_like(total), where=depth > 0)

    def take_odds(self, rows: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """Odds each official takes a bribe of ``gain`` (officials x goods, in US dollars)."""
        p = self.p
        ratio = gain / self.pay[rows][:, None]
        levers = self.model.levers
        will = levers.political_will if levers.political_will is not None else self.political_will
        risk = min(1.0, self.oversight * levers.oversight) * will * (1.0 - self.protection(rows))
        x = (
            p.take_gain * np.log1p(ratio)
            - p.take_integrity * self.integrity[rows][:, None]
            - p.take_risk * risk[:, None]
        )
        return _logistic(x)

    def update(self) -> None:
        """Recompute checkpoint rates in Mali from the officials on duty (weekly); try due cases."""
        p, model = self.p, self.model
        self.events = dict.fromkeys(self.events, 0)
        rows = self.duty
        if not len(rows):
            return
        presence, levers = model.territory.presence, model.levers
        posts = self.post[rows]
        detect = detection_odds(self.world, model.params, self.pressure * model.pressure_multiplier, p.detect_base)
        detect = detect * levers.inspection
        capacity = np.clip(self.capacity[rows] + levers.capacity[posts], 0.0, 1.0)
        detect_o = np.clip(detect[posts] * capacity[:, None] * presence[posts][:, None], 0.0, 1.0)
        take = self.take_odds(rows, p.bribe_share * self.cargo_ref[None, :])
        routine = self.take_odds(rows, p.routine_share * self.cargo_ref[None, :]).mean(axis=1)
        n = self.world.n_places
        count = np.maximum(self.duty_count, 1)[:, None]
        settle = np.zeros((n, len(self.world.goods)))
        seize = np.zeros_like(settle)
        np.add.at(settle, posts, detect_o * take)
        np.add.at(seize, posts, detect_o * (1 - take))
        mali = self.staffed
        rates = self.rates
        rates.settle[mali] = (settle / count)[mali]
        rates.seize[mali] = (seize / count)[mali]
        rates.routine[mali] = (np.bincount(posts, weights=routine, minlength=n) / count[:, 0])[mali]
        rates.routine_share[mali] = p.routine_share
        # Honest units seize what the officials would have let through: raids, reinforced border
        # units (policies) and the mission's specialized teams (illicit goods only).
        livelihood = np.array([g.livelihood for g in self.world.goods])
        honest = either(levers.raid_seize, np.outer(model.mission_seize, ~livelihood))
        rates.seize[:] = rates.seize + (1 - rates.seize - rates.settle) * honest
        # Abroad, the neighbours' own checkpoints (their levers applied by them).
        self.neighbours.update()
        abroad = ~self.world.in_mali
        nb = self.neighbours.rates
        rates.seize[abroad], rates.settle[abroad] = nb.seize[abroad], nb.settle[abroad]
        rates.closed[:] = nb.closed
        rates.version += 1
        self._try_cases()

    # --- encounters -------------------------------------------------------------------

    def _on_duty(self, places: np.ndarray) -> np.ndarray:
        """The official on duty at each encounter's place (drawn at random among those posted)."""
        count = self.duty_count[places]
        pick = (self.model.rng.random(len(places)) * count).astype(np.int64)
        return self.duty[self.duty_start[places] + pick]

    def settle(self, enc: Encounters, ledger: Ledger) -> np.ndarray:
        """Book bribes to the officials on duty and up their chains; decide arrests (the neighbours abroad)."""
        mali = self.staffed[enc.place]
        foreign = ~self.world.in_mali[enc.place]
        arrested = np.zeros(len(enc.place), dtype=bool)
        if foreign.any():
            rows = np.flatnonzero(foreign)
            arrested[rows] = self.neighbours.settle(subset(enc, rows), ledger)
        paid = enc.bribe > 0
        elsewhere = float(enc.bribe[paid & ~mali & ~foreign].sum())  # unstaffed Malian places
        ledger.pay("bribes", "traffickers", "local_economy", elsewhere)
        detected = mali & ((enc.outcome == Outcome.SETTLED) | (enc.outcome == Outcome.SEIZED))
        np.add.at(self.model.crews.cols["evidence"], enc.crew[detected], enc.value[detected])
        local = np.flatnonzero(paid & mali)
        if len(local):
            who = self._on_duty(enc.place[local])
            self._pay_chain(who, enc.bribe[local], ledger)
            np.add.at(self.cols["bribes"], who, 1)
        seized = np.flatnonzero((enc.outcome == Outcome.SEIZED) & ~foreign)
        if len(seized):
            at_home = mali[seized]
            if at_home.any():
                np.add.at(self.cols["seizures"], self._on_duty(enc.place[seized[at_home]]), 1)
            odds = np.where(at_home, self.p.arrest_probability, self.neighbours.arrest_probability)
            arrested[seized] = self.model.rng.random(len(seized)) < odds
        return arrested

    def _pay_chain(self, who: np.ndarray, amounts: np.ndarray, ledger: Ledger) -> None:
        """A bribe stays with the official but for the kickback passed to each patron above (M15)."""
        ledger.pay("bribes", "traffickers", "officials", float(amounts.sum()))
        k = self.p.kickback_share
        cur, left = who.copy(), amounts.astype(float).copy()
        for _ in range(4):
            patron = self.patron[cur]
            up = np.where(patron >= 0, left * k, 0.0)
            np.add.at(self.cols["wealth"], cur, left - up)
            has = patron >= 0
            if not has.any():
                return
            cur, left = patron[has], up[has]

    # --- justice ----------------------------------------------------------------------

    def _judge_for(self, place: int) -> int:
        judges = np.flatnonzero((self.role == Role.JUDGE) & self.alive)
        region = self.world.region[place]
        local = [j for j in judges if self.world.region[self.post[j]] == region]
        if local:
            return int(local[0])
        bamako = [j for j in judges if self.world.region[self.post[j]] == "Bamako"]
        return int((bamako or list(judges))[0])

    def file_cases(self, crews: np.ndarray, places: np.ndarray) -> None:
        """Arrested crews await trial at the court of the region where they were caught."""
        due = self.model.week_index + self.p.trial_weeks
        for crew, place in zip(crews.tolist(), places.tolist(), strict=True):
            self.cases.append((crew, self._judge_for(place), due))

    def _try_cases(self) -> None:
        """Verdicts due this week: a judge may be bought; convictions may be undone above (M12)."""
        now, p = self.model.week_index, self.p
        due = [c for c in self.cases if c[2] <= now]
        if not due:
            return
        self.cases = [c for c in self.cases if c[2] > now]
        crews = self.model.crews
        rng, ledger = self.model.rng, self.model.ledger
        seniors = np.flatnonzero((self.role == Role.PATRON) & self.alive)
        complicity_top = 1.0 - self.integrity[seniors].mean() if len(seniors) else 0.0
        release, convict = [], []
        for crew, judge, _ in due:
            if not crews.alive[crew] or crews.state[crew] != State.DETAINED:  # no longer detained
                continue
            offer = min(crews.cash[crew], p.bribe_share * crews.cargo_value_ref[crew])
            takes = self.take_odds(np.array([judge]), np.array([[offer]]))[0, 0]
            if offer > 0 and rng.random() < takes:
                crews.cols["cash"][crew] -= offer
                self._pay_chain(np.array([judge]), np.array([offer]), ledger)
                self.events["acquittals"] += 1
                release.append(crew)
            elif rng.random() >= p.conviction_base * self.capacity[judge]:
                self.events["acquittals"] += 1
                release.append(crew)
            else:
                connected = crews.kind[crew] != 0  # transnational and mercenary networks reach the top
                undo = p.undo_base * complicity_top * (1 - self.political_will) * connected
                if rng.random() < undo:
                    self.events["convictions_undone"] += 1
                    release.append(crew)
                else:
                    self.events["convictions"] += 1
                    convict.append(crew)
        if release:
            crews.release(np.array(release, dtype=np.int64))
        if convict:
            crews.leave(np.array(convict, dtype=np.int64))

    def purge(self, rate: float) -> None:
        """Replace corrupt officials (integrity below one half) by more honest ones (anti-corruption; M12)."""
        if rate <= 0:
            return
        rows = self.alive_rows()
        rows = rows[(self.integrity[rows] < 0.5) & (self.role[rows] != Role.PATRON)]
        out = rows[self.model.rng.random(len(rows)) < rate]
        if len(out):
            mean, k = max(self.p.integrity_mean, 0.7), self.p.integrity_spread
            self.cols["integrity"][out] = self.model.rng.beta(mean * k, max((1 - mean) * k, 1e-9), size=len(out))

    def boost_capacity(self, support: np.ndarray) -> None:
        """Support to the state (training, equipment; 002 §III) raises capacity where it is given."""
        rows = self.alive_rows()
        self.cols["capacity"][rows] = np.clip(self.p.capacity + support[self.post[rows]], 0.0, 1.0)

    def total_wealth(self) -> float:
        """What officials hold between them (the officials account)."""
        return float(self.wealth[self.alive].sum())
