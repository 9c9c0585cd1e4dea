"""Officials: checkpoints, courts and patron-client chains up to the capital.

Border and customs officers at crossings, police and gendarmes in towns and at gold sites,
administrators in towns, a judge at each regional capital, and senior patrons in Bamako
(000; 002 §II, §III). Every official but the senior patrons has a patron: the administrator
of his regional capital, whose own patron sits in the capital, so complicity can run "all the
way to the capital" (002 §III; M12, M15).

At an encounter the official on duty may detect contraband (his skill and equipment, the
checkpoint's pressure, the good's detectability and whether it is a tolerated livelihood good,
and the state's presence there). Having detected it, he weighs the consignment in front of him:
the bribe it can pay (a share of its value) against his pay, his integrity, and the risk that
oversight catches him, less the cover his patrons give. A patron covers a client's deal when
his own cut of it, passed up the chain, is worth his while: a high-value consignment buys
protection up the patron chain, a sack of rice does not ("a greater degree of protection -
brought about by either violence or corruption", 002 §II; M3). A corrupt official also demands
routine payments at undetected encounters, weighed the same way. A share of every bribe goes up
the chain to named patrons (M15). Seizures can end in arrest; the judge of the region tries the
case, may be bought, and a conviction can be undone higher up for well-connected networks (M12).

Integrity and will move (002 §III: the evidence "led straight to the top"): each week an
official's integrity drifts toward a target set by his own disposition, his region's colleagues,
the rents around his post and the risk he faces; the will at the top drifts toward a target that
the top's own rents lower, that events and external pressure set (timeline), and that
anti-corruption cases move: a case that succeeds raises it, a case the patron chain blocks
lowers it (:meth:`Officials.investigate`).

Officials implement :class:`sim.enforcement.Enforcement` in place of the stand-in checkpoints
in Mali; places abroad are the neighbours' (:class:`sim.neighbours.Neighbours`), whose rates
they take in and who settle the encounters there.
"""

from __future__ import annotations

import enum
import functools
import typing
from typing import TYPE_CHECKING

import numpy as np

from sim import libm
from sim.agents.table import AgentTable, TableAgent
from sim.agents.trafficker import State
from sim.enforcement import Encounters, Rates, checkpoint_pressure, detectability
from sim.lazy import lazy_module
from sim.world.tables import PLACE_KINDS

kernels = lazy_module("sim.agents.official_kernels")
route_kernels = lazy_module("sim.agents.route_kernels")  # the encounters' settlement (issue 18, eleventh pass)
kernel_rng = lazy_module("sim.kernel_rng")

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
        "disposition": np.float64,  # his own integrity, the anchor of his drift
        "rent_week": np.float64,  # bribes and kickbacks received this week
        "rents": np.float64,  # their moving average (rent_memory_weeks)
        "deterrence": np.float64,  # risk he perceives from colleagues removed for corruption
    }
    holds_trials = True
    _detection_key: bytes | None = None  # the pressure multiplier the detection odds were computed at

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
        names = ("convictions", "convictions_undone", "acquittals", "ac_successes", "ac_failures")
        self.events = dict.fromkeys(names, 0)
        self.record = 0.0  # anti-corruption's recent net successes, as they move the will (M12)
        self.capture = 0.0  # share of the top's income that is rents (002 §III)
        regions = sorted(set(world.region))
        self.region_of = np.array([regions.index(r) for r in world.region], dtype=np.int64)
        self.n_regions = len(regions)
        self.duty_pos = np.full(self.size, -1, dtype=np.int64)
        self.duty_pos[self.duty] = np.arange(len(self.duty))
        self.detect_duty = np.zeros((len(self.duty), len(world.goods)))
        self.honest = np.zeros((world.n_places, len(world.goods)))
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

    def __getstate__(self) -> dict:
        """Pickled (a saved state) without the kept gain terms and places abroad, which are rebuilt on use."""
        state = self.__dict__.copy()
        state.pop("_rate_logs", None)
        state.pop("_kept_roster", None)
        state.pop("_abroad", None)
        state.pop("_version_abroad", None)  # a loaded state copies the neighbours' rates again
        return state

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
        c["disposition"][rows] = c["integrity"][rows]
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

    @functools.cached_property
    def chain(self) -> np.ndarray:
        """Each official's patrons, level by level up (levels x officials; -1 above the top); fixed at posting."""
        chain = np.full((3, self.size), -1, dtype=np.int64)
        cur = self.patron.copy()
        for level in range(3):
            chain[level] = cur
            cur = np.where(cur >= 0, self.patron[np.maximum(cur, 0)], -1)
        return chain

    @functools.cached_property
    def chain_depth(self) -> np.ndarray:
        """How many patrons each official has above him (as floats: the divisor of the chain's means)."""
        return (self.chain >= 0).sum(axis=0).astype(float)

    def protection(self, rows: np.ndarray) -> np.ndarray:
        """How far an official's patrons are complicit: their mean (1 - integrity) up the chain (M15)."""
        up = self.chain[:, rows]
        lax = np.where(up >= 0, 1.0 - self.integrity[np.maximum(up, 0)], 0.0)
        total = lax[0] + lax[1] + lax[2]  # level by level, as the chain is climbed
        return total / np.maximum(self.chain_depth[rows], 1.0)  # no patron: 0 / 1

    def oversight_risk(self) -> float:
        """Chance oversight bodies catch a corrupt act nobody shields: oversight times the will at the top."""
        return min(1.0, self.oversight * self.model.levers.oversight) * self.political_will

    @functools.cached_property
    def _rate_logs(self) -> np.ndarray:
        """The logarithms of the weekly rates' gains against pay (the patrons' cuts; the officials' own), kept.

        They are fixed, as the duty roster, the chains, the pay and the reference cargoes are
        (issue 18: the logarithms are not taken again every week).
        """
        p, rows = self.p, self.duty
        gains = np.concatenate([p.bribe_share * self.cargo_ref, p.routine_share * self.cargo_ref])[None, :]
        return self._logs(rows, gains)

    def _logs(self, rows: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """``log1p`` of what ``gain`` is worth against pay to each patron up the chain and to the officials."""
        levels = int(self.chain_depth[rows].max()) if len(rows) else 0  # climbed as high as some chain goes
        return libm.log1p(kernels.gain_ratios(self.chain, rows, self.pay, gain, self.p.kickback_share, levels))

    def take_odds(self, rows: np.ndarray, gain: np.ndarray, logs: np.ndarray | None = None) -> np.ndarray:
        """Odds each official takes a bribe of ``gain`` (officials x goods, in US dollars) (002 §II; M3).

        The official weighs the bribe against his pay, his integrity and the risk that oversight
        catches him, less the cover his patrons give (:meth:`cover`).

        ``logs`` are :meth:`_logs` of these rows and gains, when kept (:attr:`_rate_logs`).
        """
        return 1.0 / (1.0 + libm.exp(self._weigh(rows, gain, logs)[0]))

    def cover(self, rows: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """Protection a deal of ``gain`` (rows x k) buys up each official's patron chain (002 §II; M3).

        Each patron up the chain weighs his cut of the bribe (``kickback_share`` per level) as an
        official weighs a bribe: against his pay, his integrity and the oversight risk at the top.
        The cover is the mean of their odds of taking it: a rich consignment interests the
        capital, a small one only the man at the checkpoint.
        """
        return self._weigh(rows, gain, None)[1]

    def _weigh(self, rows: np.ndarray, gain: np.ndarray, logs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """``-x`` of the officials' logistic odds of taking ``gain``, and their patrons' cover.

        Each patron up the chain weighs his cut of the bribe (``kickback_share`` per level) as an
        official weighs a bribe: its logarithm against his pay (``take_gain``), his integrity and
        the risk at the top. The arithmetic is compiled (:mod:`sim.agents.official_kernels`,
        issue 18); the logarithms and exponentials are the C library's (:mod:`sim.libm`).
        """
        p = self.p
        rows = np.asarray(rows, dtype=np.int64)
        if logs is None:
            gain = np.asarray(gain, dtype=float)
            gain = gain if gain.ndim == 2 else gain.reshape(1, -1)
            if gain.shape[0] not in (1, len(rows)):
                raise ValueError(f"gains for {gain.shape[0]} officials, not {len(rows)} or one row for all")
            logs = self._logs(rows, gain)
        risk, tg, ti, tr = self.oversight_risk(), p.take_gain, p.take_integrity, p.take_risk
        chain, integrity = self.chain, self.cols["integrity"]
        up = libm.exp(kernels.patron_exponents(chain, rows, integrity, logs, tg, ti, tr, risk))
        deterrence = self.cols["deterrence"]
        return kernels.own_exponents(up, chain, rows, self.chain_depth, integrity, deterrence, logs, tg, ti, tr, risk)

    def encounter_odds(
        self, places: np.ndarray, goods: np.ndarray, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The official on duty weighs the consignment in front of him (M3).

        Args:
            places: Malian staffed places of the encounters.
            goods: Good carried at each.
            values: Value of each consignment there, in US dollars.

        Returns:
            (seize, settle, routine, official): odds per encounter and who was on duty.
        """
        p = self.p
        uniforms = self.model.rng.random(len(places))  # who is on duty (as _on_duty draws him)
        args = (self.duty_count, self.duty_start, self.duty, self.chain_depth, self.chain, self.pay)
        shares = (p.bribe_share, p.routine_share, p.kickback_share)
        who, ratios = kernels.encounter_ratios(places, values, uniforms, *args, *shares)
        seize, settle, routine = kernels.encounter_rates(
            self.encounter_exponents(who, ratios), who, places, goods, self.detect_duty, self.duty_pos, self.honest
        )
        return seize, settle, routine, who

    def encounter_roster(self) -> tuple:
        """What ``encounter_ratios`` reads besides the draws: the duty roster, chains, pay and shares.

        The crews' travel passes them to its compiled call (issue 18, eleventh pass:
        ``route_kernels.passed_and_on_duty`` does :meth:`encounter_odds`' draw and ratios).
        """
        p = self.p
        roster = (self.duty_count, self.duty_start, self.duty, self.chain_depth, self.chain, self.pay)
        return (*roster, p.bribe_share, p.routine_share, p.kickback_share)

    def encounter_exponents(self, who: np.ndarray, ratios: np.ndarray) -> np.ndarray:
        """The exponentials of the officials' weighing of the bribes and routine payments before them (M3).

        ``who``: the officials on duty; ``ratios``: their gain ratios
        (:func:`~sim.agents.official_kernels.encounter_ratios`). :meth:`_weigh`'s arithmetic with
        its ``log1p`` and ``exp``, compiled in one call (:func:`~sim.agents.official_kernels.weighed_exponentials`).
        """
        return self._weighed_exponentials(who, ratios, True)

    def _weighed_exponentials(self, rows: np.ndarray, values: np.ndarray, are_ratios: bool) -> np.ndarray:
        """``exp`` of :meth:`_weigh`'s exponents, from the gain ratios or their kept logarithms, in one kernel."""
        p = self.p
        return kernels.weighed_exponentials(
            values,
            are_ratios,
            self.chain,
            rows,
            self.chain_depth,
            self.cols["integrity"],
            self.cols["deterrence"],
            p.take_gain,
            p.take_integrity,
            p.take_risk,
            self.oversight_risk(),
        )

    def update(self) -> None:
        """The officials' week: integrity and will drift, anti-corruption cases, checkpoint rates, verdicts.

        The rates per place and good (officials on duty, a reference cargo of each good) are what
        crews plan with; at an encounter the official on duty decides on the consignment itself
        (:meth:`encounter_odds`).
        """
        p, model = self.p, self.model
        levers = model.levers
        self.events = dict.fromkeys(self.events, 0)
        self._drift()
        if levers.investigations:
            self.investigate(levers.investigations, levers.capacity)
        rows = self.duty
        if not len(rows):
            return
        # The officials' odds of taking the reference bribes: the exponentials of their weighing
        # (the gains' logarithms are kept, _rate_logs; compiled with the weighing); ``take_odds``'
        # 1 / (1 + e) is the kernel's.
        exponentials = self._weighed_exponentials(rows, self._rate_logs, False)
        # Honest units seize what the officials would have let through: raids and reinforced border
        # units (policies). The mission has no seizure or arrest powers of its own (003).
        self.honest = honest = levers.raid_seize.copy()
        rates, places, starts = self.rates, *self.duty_segments
        # Detection at each post times the official's capacity and the state's presence; the rates
        # summed over the officials of each post, in roster order; the routine share at the posts
        # (compiled, issue 18: one call with the odds, "state10").
        self.detect_duty = kernels.weekly_rates(
            exponentials,
            self._detection(model.pressure_multiplier),
            levers.inspection,
            self.cols["capacity"],
            levers.capacity,
            model.territory.presence,
            rows,
            self.duty_posts,
            places,
            starts,
            self.staffed,
            self.duty_count,
            rates.seize,
            rates.settle,
            rates.routine,
            honest,
            rates.routine_share,
            p.routine_share,
        )
        # Abroad, the neighbours' own checkpoints (their levers applied by them); copied only when
        # their rates moved (a new version): nothing else writes these rows (issue 18, "state11").
        self.neighbours.update()
        nb = self.neighbours.rates
        seen = self.__dict__.get("_version_abroad")
        if seen is None or seen[0] is not nb or seen[1] != nb.version:
            abroad = self._abroad
            rates.seize[abroad], rates.settle[abroad] = nb.seize[abroad], nb.settle[abroad]
            rates.closed[:] = nb.closed
            self._version_abroad = (nb, nb.version)
        rates.version += 1
        self._try_cases()

    @functools.cached_property
    def _abroad(self) -> np.ndarray:
        """The places outside Mali, as indices (places never move): the neighbours' rates are copied there."""
        return np.flatnonzero(~self.world.in_mali)

    @functools.cached_property
    def duty_posts(self) -> np.ndarray:
        """The post of each official on duty (kept: officials are posted once and replaced in their rows)."""
        return self.post[self.duty]

    @functools.cached_property
    def duty_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """The places with officials on duty, and where each one's officials start in the duty roster."""
        places = np.flatnonzero(self.duty_count > 0)
        return places, self.duty_start[places]

    def _detection(self, multiplier: np.ndarray) -> np.ndarray:
        """Detection odds per place and good at the checkpoints' pressure; recomputed only when the multiplier moved."""
        key = multiplier.tobytes()
        if key != self._detection_key:
            if "_detectability" not in self.__dict__:  # the goods' own part, fixed (states saved before it load)
                self._detectability = detectability(self.world, self.model.params)
            # detection_odds(world, params, self.pressure * multiplier, detect_base, detectability), compiled
            # (issue 18, "state12": one pass for five numpy calls; tests/test_state12_kernels.py compares them).
            base, detect = self.p.detect_base, self._detectability
            self._detection_odds = kernels.detection_week(self.pressure, multiplier, base, detect)
            self._detection_key = key
        return self._detection_odds

    # --- encounters -------------------------------------------------------------------

    def _on_duty(self, places: np.ndarray) -> np.ndarray:
        """The official on duty at each encounter's place (drawn at random among those posted)."""
        count = self.duty_count[places]
        pick = (self.model.rng.random(len(places)) * count).astype(np.int64)
        return self.duty[self.duty_start[places] + pick]

    def settle(self, enc: Encounters, ledger: Ledger) -> np.ndarray:
        """Book bribes to the officials who decided and up their chains; decide arrests (the neighbours abroad).

        Compiled in one call (issue 18, eleventh pass: ``route_kernels.settle_encounters``): the
        neighbours' settlement abroad, the bribes at unstaffed Malian places, the evidence of
        detections, the bribes at staffed posts and the seizures, and the arrests' draws, in this
        order; the ledger's payments are booked below in the same order. When every decider is on
        record, the same call pays the bribes up the chains and counts the bribes and seizures
        ("state10"); otherwise the deciders are drawn and booked here, then the arrests.
        """
        c, rng, neighbours = self.cols, self.model.rng, self.neighbours
        evidence = self.model.crews.cols["evidence"]
        official = enc.official if enc.official is not None else np.full(len(enc.place), -1, dtype=np.int64)
        marks = (enc.place, enc.bribe, enc.outcome, enc.crew, enc.value, self.world.in_mali, self.staffed, evidence)
        chains = (self.patron, self.p.kickback_share, c["wealth"], c["rent_week"], c["bribes"], c["seizures"])
        odds = (self.p.arrest_probability, neighbours.arrest_probability)
        handles = (kernel_rng.handles(neighbours.rng), kernel_rng.handles(rng))
        abroad, abroad_bribes, arrested, elsewhere, local, seized, at_home, booked, to_officials = (
            route_kernels.settle_encounters(*handles, *marks, official, *chains, *odds)
        )
        if abroad:  # the neighbours' bribes leave the modelled economy (Neighbours.settle)
            ledger.pay("bribes", "traffickers", "local_economy", abroad_bribes)
        ledger.pay("bribes", "traffickers", "local_economy", elsewhere)
        if booked:
            if len(local):
                ledger.pay("bribes", "traffickers", "officials", to_officials)
            return arrested
        if len(local):
            who = self._deciders(enc, local)
            self._pay_chain(who, enc.bribe[local], ledger)
            kernels.count_rows(self.cols["bribes"], who)
        if len(seized):
            if at_home.any():
                kernels.count_rows(self.cols["seizures"], self._deciders(enc, seized[at_home]))
            odds = np.where(at_home, self.p.arrest_probability, neighbours.arrest_probability)
            arrested[seized] = rng.random(len(seized)) < odds
        return arrested

    def _deciders(self, enc: Encounters, rows: np.ndarray) -> np.ndarray:
        """The official who decided each of these encounters (drawn now if the encounter has none)."""
        if enc.official is not None:
            who = enc.official[rows]
            if (who >= 0).all():
                return who
        return self._on_duty(enc.place[rows])

    def _pay_chain(self, who: np.ndarray, amounts: np.ndarray, ledger: Ledger, payer: str = "traffickers") -> None:
        """A bribe stays with the official but for the kickback passed to each named patron above (M15)."""
        ledger.pay("bribes", payer, "officials", float(amounts.sum()))
        c = self.cols
        amounts = np.asarray(amounts, dtype=float)
        kernels.pay_chain(who, amounts, self.patron, self.p.kickback_share, c["wealth"], c["rent_week"])

    def _pay_one(self, who: int, amount: float, ledger: Ledger) -> None:
        """:meth:`_pay_chain` for one bribe to one official, in plain numbers (the same sums)."""
        ledger.pay("bribes", "traffickers", "officials", float(amount))
        k = self.p.kickback_share
        wealth, rent, patron = self.cols["wealth"], self.cols["rent_week"], self.patron
        cur, left = who, float(amount)
        for _ in range(4):
            boss = int(patron[cur])
            kept = left - (left * k if boss >= 0 else 0.0)
            wealth[cur] += kept
            rent[cur] += kept
            if boss < 0:
                return
            cur, left = boss, left * k

    # --- justice ----------------------------------------------------------------------

    def _judge_for(self, place: int) -> int:
        judges = np.flatnonzero((self.role == Role.JUDGE) & self.alive)
        region = self.world.region[place]
        local = [j for j in judges if self.world.region[self.post[j]] == region]
        if local:
            return int(local[0])
        bamako = [j for j in judges if self.world.region[self.post[j]] == "Bamako"]
        return int((bamako or list(judges))[0])

    @functools.cached_property
    def judge_at(self) -> np.ndarray:
        """The court that tries a crew caught at each place (officials keep their posts and roles)."""
        return np.array([self._judge_for(i) for i in range(self.world.n_places)], dtype=np.int64)

    @functools.cached_property
    def seniors(self) -> np.ndarray:
        """The senior patrons in the capital."""
        return np.flatnonzero((self.role == Role.PATRON) & self.alive)

    def file_cases(self, crews: np.ndarray, places: np.ndarray) -> None:
        """Arrested crews await trial at the court of the region where they were caught."""
        due = self.model.week_index + self.p.trial_weeks
        judges = self.judge_at[places]
        for crew, judge in zip(crews.tolist(), judges.tolist(), strict=True):
            self.cases.append((crew, judge, due))

    def _try_cases(self) -> None:
        """Verdicts due this week: a judge may be bought; convictions may be undone above (M12).

        Cases are decided one by one in the order they were filed (each draws from the
        generator); the judges' odds of taking the offers are computed for all of them at once.
        """
        now, p = self.model.week_index, self.p
        due = [c for c in self.cases if c[2] <= now]
        if not due:
            return
        self.cases = [c for c in self.cases if c[2] > now]
        crews = self.model.crews
        rng, ledger = self.model.rng, self.model.ledger
        complicity_top = None  # read only when a conviction could be undone (integrity does not move meanwhile)
        ids = np.array([c[0] for c in due], dtype=np.int64)
        judges = np.array([c[1] for c in due], dtype=np.int64)
        offers = np.minimum(crews.cash[ids], p.bribe_share * crews.cargo_value_ref[ids])
        odds = self.take_odds(judges, offers[:, None])[:, 0]
        release, convict, seen = [], [], set()
        for i, (crew, judge, _) in enumerate(due):
            if not crews.alive[crew] or crews.state[crew] != State.DETAINED:  # no longer detained
                continue
            offer, takes = offers[i], odds[i]
            if crew in seen:  # a second case against the same crew: its cash may have moved
                offer = min(crews.cash[crew], p.bribe_share * crews.cargo_value_ref[crew])
                takes = self.take_odds(np.array([judge]), np.array([[offer]]))[0, 0]
            seen.add(crew)
            if offer > 0 and rng.random() < takes:
                crews.cols["cash"][crew] -= offer
                self._pay_one(judge, offer, ledger)
                self.events["acquittals"] += 1
                release.append(crew)
            elif rng.random() >= p.conviction_base * self.capacity[judge]:
                self.events["acquittals"] += 1
                release.append(crew)
            else:
                connected = crews.kind[crew] != 0  # transnational and mercenary networks reach the top
                if complicity_top is None:
                    seniors = self.seniors
                    complicity_top = 1.0 - self.integrity[seniors].mean() if len(seniors) else 0.0
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

    # --- integrity and will ------------------------------------------------------------

    def _recruit(self, rows: np.ndarray) -> None:
        """New officials in these posts, drawn from the scenario's pool (the institution is unchanged)."""
        mean, k = self.p.integrity_mean, self.p.integrity_spread
        fresh = self.model.rng.beta(mean * k, max((1 - mean) * k, 1e-9), size=len(rows))
        c = self.cols
        c["integrity"][rows] = c["disposition"][rows] = fresh
        c["rents"][rows] = c["deterrence"][rows] = 0.0

    def _drift(self) -> None:
        """Weekly drift of integrity with rents, peers and risk, and of the will at the top (002 §II, §III).

        An official's target is his disposition blended with his region's colleagues
        (``peer_weight``), lowered by the rents at his post relative to his pay (``rent_pull``) and
        raised by the risk he faces (``risk_push``). The will at the top moves toward the
        scenario's will (or that set by events and policies), plus external pressure, less the
        share of rents in the top's income (``will_capture``), plus anti-corruption's record.
        """
        p, c, levers = self.p, self.cols, self.model.levers
        memory = 1.0 / p.rent_memory_weeks
        rows, top, pay_top, region, peer_count, post, post_count, pay = self._roster()
        # Rents remembered, this week's zeroed, deterrence faded; the top's rents summed (compiled).
        rents_top = kernels.fade_rents(c["rents"], c["rent_week"], c["deterrence"], rows, top, memory)
        # Will at the top: its own rents against its pay, events, pressure, the record of cases.
        self.capture = rents_top / (rents_top + pay_top) if rents_top + pay_top > 0 else 0.0
        base = levers.political_will if levers.political_will is not None else p.political_will
        target = min(1.0, max(0.0, base + levers.pressure - p.will_capture * self.capture + self.record))
        self.political_will += p.will_drift * (target - self.political_will)
        self.record *= 1.0 - memory
        # Integrity of every official, the senior patrons included (their rents are the largest);
        # compiled (issue 18), the arithmetic of the numpy form in its order.
        kernels.integrity_drift(
            c["integrity"],
            c["disposition"],
            c["rents"],
            c["deterrence"],
            rows,
            region,
            peer_count,
            post,
            post_count,
            pay,
            self.chain,
            self.chain_depth,
            self.oversight_risk(),
            p.peer_weight,
            p.rent_pull,
            p.risk_push,
            p.integrity_drift,
        )

    def _roster(self) -> tuple:
        """What the weekly drift reads of the roster, kept while no official is added or removed.

        The officials, the patrons at the top and their pay, each official's region and post, how
        many share them (at least 1), and his pay. Officials are posted once and those removed by
        cases are replaced in their rows, posts and pay (:meth:`_recruit`), so these are not looked
        up again every week (issue 18); an official added or removed (``roster_version``) renews them.
        """
        version = getattr(self, "roster_version", None)
        kept = self.__dict__.get("_kept_roster")
        if kept is not None and kept[0] == version and version is not None:
            return kept[1]
        roster = self._read_roster()
        self._kept_roster = (version, roster)
        return roster

    def _read_roster(self) -> tuple:
        """The roster as :meth:`_roster` keeps it, read afresh."""
        rows = self.alive_rows()
        top = rows[self.role[rows] == Role.PATRON]
        region, post = self.region_of[self.post[rows]], self.post[rows]
        return (
            rows,
            top,
            float(self.pay[top].sum()),
            region,
            np.maximum(np.bincount(region, minlength=self.n_regions), 1),
            post,
            np.maximum(np.bincount(post, minlength=self.world.n_places), 1),
            self.pay[rows],
        )

    def investigate(self, n: int, evidence: np.ndarray | None = None) -> tuple[int, int]:
        """Anti-corruption cases against ``n`` officials chosen by their visible rents (000; 002 §III; M12).

        A case finds evidence with odds (1 - integrity) x capacity of the institutions at his post
        (``evidence`` adds to it: capacity building). Evidence leads up the chain: his patrons block
        the case with odds (their complicity) x (1 - the will at the top). A case that goes through
        removes him (a new official is recruited from the same pool) and, with the will at the top,
        his patron too; his region's colleagues see the risk (``deterrence_step``). Successes raise
        the will at the top, blocked cases lower it.

        Returns:
            (successes, failures) of this week's cases.
        """
        p, rng, c = self.p, self.model.rng, self.cols
        rows = self.alive_rows()
        if n <= 0 or not len(rows):
            return 0, 0
        weight = self.rents[rows] + 1e-9
        chosen = rng.choice(rows, size=min(n, len(rows)), replace=False, p=weight / weight.sum())
        capacity = np.clip(self.capacity[chosen] + (evidence[self.post[chosen]] if evidence is not None else 0), 0, 1)
        found = rng.random(len(chosen)) < (1.0 - self.integrity[chosen]) * capacity
        suspects = chosen[found]
        top = self.role[suspects] == Role.PATRON
        shield = np.where(top, 1.0 - self.integrity[suspects], self.protection(suspects))
        blocked = rng.random(len(suspects)) < shield * (1.0 - self.political_will)
        removed = suspects[~blocked]
        up = self.patron[removed]
        follow = (up >= 0) & (rng.random(len(removed)) < self.political_will)  # the evidence "led straight to the top"
        removed = np.unique(np.concatenate([removed, up[follow]]))
        if len(removed):
            self._recruit(removed)
            hit = np.bincount(self.region_of[self.post[removed]], minlength=self.n_regions)
            region = self.region_of[self.post[rows]]
            c["deterrence"][rows] = np.minimum(1.0, self.deterrence[rows] + p.deterrence_step * hit[region])
        success, failure = int((~blocked).sum()), int(blocked.sum())
        self.record += p.will_record * (success - failure) / len(chosen)
        self.events["ac_successes"] += success
        self.events["ac_failures"] += failure
        return success, failure

    def boost_capacity(self, support: np.ndarray, oc_support: np.ndarray, lever_capacity: np.ndarray) -> None:
        """Support to the state (training, equipment; 002 §III) raises capacity where it is given.

        The support at each place is the state's, the mission's against organized crime and the
        levers', summed in that order; compiled in one pass (``official_kernels.boost_capacity``).
        """
        c, base = self.cols, self.p.capacity
        kernels.boost_capacity(c["capacity"], c["alive"], c["post"], support, oc_support, lever_capacity, base)

    def total_wealth(self) -> float:
        """What officials hold between them (the officials account)."""
        return float(self.wealth[self.alive].sum())
