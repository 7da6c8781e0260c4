"""The referee's commands (PROTOCOL.md §4.11-4.14): edits, resets, cancels, tournament control, seeding.

Each is one engine command, atomic with trading, recorded in the ledger and the journal. Checks that need
state (team exists, reservations, totals) run here; the field checks ran in the gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from avex.domain.catalogue import HOUSE, MAX_GOODS, Role
from avex.domain.errors import AUTH_FAILED, INVALID_MESSAGE, INVALID_PRODUCT, INVALID_QUANTITY, SERVICE_UNAVAILABLE
from avex.engine import commands as C
from avex.engine import events as E
from avex.engine.outcome import Applied, Refused
from avex.engine.state import Account, Order

if TYPE_CHECKING:
    from avex.engine.engine import Engine

_STATES = {"OPEN": "OPEN", "PAUSE": "PAUSED", "CLOSE": "CLOSED"}
_TEAM_NAME_MAX = 64


def _team_not_found(name: str) -> Refused:
    return Refused(INVALID_MESSAGE, f"Team not found: {name}")


class AdminOps:
    def admin_handlers(self: Engine) -> dict[type, Callable[[Any], Applied | Refused]]:
        return {
            C.AdminCreateOrder: self._on_admin_order,
            C.AdminCancelOrder: self._on_admin_cancel,
            C.AdminCancelAll: self._on_admin_cancel_all,
            C.AddInventory: self._on_add_inventory,
            C.UpdateTeam: self._on_update_team,
            C.UpdateMembers: self._on_update_members,
            C.ResetTeamBalance: self._on_reset_balance,
            C.ResetTeamInventory: self._on_reset_inventory,
            C.ResetTeamProduction: self._on_reset_production,
            C.TournamentControl: self._on_control,
            C.ResetTournament: self._on_reset_tournament,
            C.SeedTeams: self._on_seed,
        }

    def _is_admin(self: Engine, name: str) -> bool:
        acct = self._team(name)
        return acct is not None and acct.admin

    def _admin_target(self: Engine, admin: str, team: str) -> Account | Refused:
        if not self._is_admin(admin):
            return Refused(AUTH_FAILED, "Admin access required")
        acct = self._team(team)
        return _team_not_found(team) if acct is None else acct

    def _set_reply(self: Engine, msg_type: str, **fields: Any) -> None:
        self._reply = E.Reply(msg_type, fields)

    # --- orders -----------------------------------------------------------------------------------------
    def _on_admin_order(self: Engine, c: C.AdminCreateOrder) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        refusal = self._check_tradable(c.product, None)
        if refusal is not None:
            return refusal
        if self.state != "OPEN":
            return Refused(SERVICE_UNAVAILABLE, "Market is closed")
        self._begin()
        cl = self._free_cl(target, f"ADMIN-{self.seq}")
        message = f"Admin order: {c.message}" if c.message else "Admin order"
        accepted = self._submit(target, cl, c, message, "ADMIN")
        if accepted:
            self._set_reply(
                "ADMIN_ACTION_RESPONSE",
                action="CREATE_ORDER",
                success=True,
                message=f"Order {cl} created for team {target.name}",
                clOrdID=cl,
            )
        return self._finish(c)

    def _on_admin_cancel(self: Engine, c: C.AdminCancelOrder) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        found = self._find_open(target, c.cl)
        if isinstance(found, Refused):
            return found
        self._begin()
        self._end_order(found, "ADMIN")
        self._set_reply(
            "ADMIN_ACTION_RESPONSE",
            action="CANCEL_ORDER",
            success=True,
            message=f"Successfully cancelled order {c.cl}",
            count=1,
        )
        return self._finish(c)

    def _on_admin_cancel_all(self: Engine, c: C.AdminCancelAll) -> Applied | Refused:
        if not self._is_admin(c.admin):
            return Refused(AUTH_FAILED, "Admin access required")
        self._begin()
        orders = self.open_orders_in_seq()
        for order in orders:
            self._end_order(order, "ADMIN")
        self._set_reply(
            "ADMIN_ACTION_RESPONSE",
            action="CANCEL_ALL_ORDERS",
            success=True,
            message=f"Successfully cancelled {len(orders)} orders",
            count=len(orders),
        )
        return self._finish(c)

    # --- goods and cash ---------------------------------------------------------------------------------
    def _on_add_inventory(self: Engine, c: C.AddInventory) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        i = self.pidx.get(c.product)
        if i is None:
            return Refused(INVALID_PRODUCT, f"invalid product: {c.product}")
        if target.goods[i] + c.qty > MAX_GOODS:
            return Refused(INVALID_QUANTITY, f"Quantity would exceed {MAX_GOODS} for {c.product}")
        self._begin()
        self._touch(target)
        target.goods[i] += c.qty
        self._ledger(target, c.product, c.qty, target.goods[i], "ADMIN_ADD", str(self.seq))
        self._set_reply(
            "INVENTORY_ADDED", success=True, message=f"Added {c.qty} {c.product} to {target.name}'s inventory"
        )
        return self._finish(c)

    def _on_update_team(self: Engine, c: C.UpdateTeam) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        if (c.balance is not None and c.balance < 0) or any(v < 0 for v in (c.inventory or {}).values()):
            return Refused(INVALID_MESSAGE, "Invalid UPDATE_TEAM message format")
        goods: list[tuple[str, int, int]] = []
        for code, qty in (c.inventory or {}).items():
            i = self.pidx.get(code)
            if i is None:
                return Refused(INVALID_PRODUCT, f"invalid product: {code}")
            if qty > MAX_GOODS:
                return Refused(INVALID_QUANTITY, f"Quantity would exceed {MAX_GOODS} for {code}")
            goods.append((code, i, qty))
        if c.balance is not None and c.balance < target.cash_reserved:
            return Refused(INVALID_MESSAGE, "Value below reserved amount for CASH")
        for code, i, qty in goods:
            if qty < target.goods_reserved[i]:
                return Refused(INVALID_MESSAGE, f"Value below reserved amount for {code}")
        self._begin()
        self._touch(target)
        ref = str(self.seq)
        if c.balance is not None:
            self._set_cash(target, c.balance, "ADMIN_UPDATE", ref)
        for code, i, qty in goods:
            self._set_goods(target, code, i, qty, "ADMIN_UPDATE", ref)
        self._set_reply("TEAM_UPDATED", success=True, message=f"Team {target.name} updated successfully")
        return self._finish(c)

    def _set_cash(self: Engine, acct: Account, value: int, reason: str, ref: str) -> None:
        delta = value - acct.cash
        if delta:
            acct.cash = value
            self._ledger(acct, "CASH", delta, value, reason, ref)

    def _set_goods(self: Engine, acct: Account, code: str, i: int, value: int, reason: str, ref: str) -> None:
        delta = value - acct.goods[i]
        if delta:
            acct.goods[i] = value
            self._ledger(acct, code, delta, value, reason, ref)

    def _on_update_members(self: Engine, c: C.UpdateMembers) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        self._begin()
        target.members = c.members
        self._ev.append(self._team_changed(target))
        self._set_reply(
            "TEAM_MEMBERS_UPDATED", success=True, message=f"Team {target.name} members updated successfully"
        )
        return self._finish(c)

    def _team_changed(self: Engine, acct: Account) -> E.TeamChanged:
        return E.TeamChanged(acct.name, acct.members, acct.initial_balance, self._inv_map(acct.initial_inventory))

    def _cancel_team_orders(self: Engine, acct: Account, reason: str) -> int:
        orders = self.open_orders_in_seq(acct.name)
        for order in orders:
            self._end_order(order, reason)
        return len(orders)

    def _on_reset_balance(self: Engine, c: C.ResetTeamBalance) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        self._begin()
        self._touch(target)
        self._cancel_team_orders(target, "ADMIN")
        self._set_cash(target, target.initial_balance, "ADMIN_RESET", str(self.seq))
        self._set_reply("TEAM_UPDATED", success=True, message=f"Team {target.name} balance reset successfully")
        return self._finish(c)

    def _on_reset_inventory(self: Engine, c: C.ResetTeamInventory) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        self._begin()
        self._touch(target)
        self._cancel_team_orders(target, "ADMIN")
        ref = str(self.seq)
        for i, code in enumerate(self.codes):
            self._set_goods(target, code, i, target.initial_inventory[i], "ADMIN_RESET", ref)
        self._set_reply("TEAM_UPDATED", success=True, message=f"Team {target.name} inventory reset successfully")
        return self._finish(c)

    def _on_reset_production(self: Engine, c: C.ResetTeamProduction) -> Applied | Refused:
        target = self._admin_target(c.admin, c.team)
        if isinstance(target, Refused):
            return target
        self._begin()
        target.last_production = None
        self._ev.append(E.CooldownCleared(target.name))
        self._set_reply("TEAM_UPDATED", success=True, message=f"Team {target.name} production reset successfully")
        return self._finish(c)

    # --- tournament -------------------------------------------------------------------------------------
    def _on_control(self: Engine, c: C.TournamentControl) -> Applied | Refused:
        if not self._is_admin(c.admin):
            return Refused(AUTH_FAILED, "Admin access required")
        state = _STATES.get(c.action)
        if state is None:
            return Refused(INVALID_MESSAGE, "Action must be OPEN, PAUSE or CLOSE")
        if state != "CLOSED" and c.ends_at is not None and c.ends_at <= self.now:
            return Refused(INVALID_MESSAGE, "endsAt must be in the future")
        self._begin()
        set_end = c.clear_end or c.ends_at is not None
        self._set_state(state, None if c.clear_end else c.ends_at, set_end)
        self._set_reply(
            "ADMIN_ACTION_RESPONSE", action="TOURNAMENT_CONTROL", success=True, message=f"Tournament is {self.state}"
        )
        return self._finish(c)

    def _on_reset_tournament(self: Engine, c: C.ResetTournament) -> Applied | Refused:
        if not self._is_admin(c.admin):
            return Refused(AUTH_FAILED, "Admin access required")
        if c.balance < 0:
            return Refused(INVALID_MESSAGE, "Balance cannot be negative")
        if not c.configs:
            return Refused(INVALID_MESSAGE, "No team configurations provided")
        plan: list[tuple[Account, list[int]]] = []
        seen: set[str] = set()
        for cfg in c.configs:
            acct = self._team(cfg.team)
            if acct is None:
                return _team_not_found(cfg.team)
            if cfg.team in seen:
                return Refused(INVALID_MESSAGE, f"Duplicate team: {cfg.team}")
            seen.add(cfg.team)
            inv = [0] * len(self.codes)
            for code, qty in (cfg.inventory or {}).items():
                i = self.pidx.get(code)
                if i is None:
                    return Refused(INVALID_PRODUCT, f"invalid product: {code}")
                if qty < 0:
                    return Refused(INVALID_QUANTITY, "Quantity cannot be negative")
                if qty > MAX_GOODS:
                    return Refused(INVALID_QUANTITY, f"Quantity would exceed {MAX_GOODS} for {code}")
                inv[i] = qty
            if not acct.admin:
                plan.append((acct, inv))
        self._begin()
        cancelled = len(self.open_orders_in_seq())
        for order in self.open_orders_in_seq():
            self._end_order(order, "RESET")
        self.offers.clear()
        self.offer_queue.clear()
        self.offer_of_order.clear()
        ref = str(self.seq)
        for acct, inv in plan:
            self._touch(acct)
            if self._forced is None:
                self._forced = set()
            self._forced.add(acct)
            acct.initial_balance = c.balance
            acct.initial_inventory = inv[:]
            acct.last_production = None
            self._set_cash(acct, c.balance, "TOURNAMENT_RESET", ref)
            for i, code in enumerate(self.codes):
                self._set_goods(acct, code, i, inv[i], "TOURNAMENT_RESET", ref)
            self._ev.append(self._team_changed(acct))
        for code, stats in list(self.stats.items()):
            self.stats[code] = type(stats)(self.mark_window_us)
        self.stats_since_seq = self.seq
        self._ev.append(E.StatsReset())
        self._ev.append(E.BucketsRefilled())
        n = len(plan)
        self._set_reply(
            "TOURNAMENT_RESET_COMPLETE",
            success=True,
            teamsReset=n,
            ordersCanceled=cancelled,
            message=f"Tournament reset: {n} teams configured, {cancelled} orders cancelled",
        )
        return self._finish(c)

    def _on_seed(self: Engine, c: C.SeedTeams) -> Applied | Refused:
        if not self._is_admin(c.admin):
            return Refused(AUTH_FAILED, "Admin access required")
        self._begin()
        created = skipped = 0
        errors: list[str] = []
        tokens = set(self.by_token)
        for entry in c.teams:
            if entry.name in self.accounts and entry.name != HOUSE:
                skipped += 1
                continue
            problem = entry.error or self._seed_problem(entry, tokens)
            if problem is not None:
                errors.append(problem if entry.error else f"{entry.name}: {problem}")
                continue
            tokens.add(entry.token_hash)
            acct = self._create_team(
                entry.name, entry.token_hash, entry.species, False, "", entry.balance, entry.inventory, Role()
            )
            self._ev.append(self._team_created(acct))
            self._ev.extend(self._initial_ledger(acct, "INITIAL", str(self.seq)))
            created += 1
        failed = len(errors)
        self._set_reply(
            "TEAMS_SEEDED",
            success=failed == 0,
            teamsCreated=created,
            teamsSkipped=skipped,
            teamsFailed=failed,
            errors=errors,
            message=f"Created {created} teams, {skipped} skipped, {failed} failed",
        )
        return self._finish(c)

    def _seed_problem(self: Engine, entry: C.SeedTeam, tokens: set[str]) -> str | None:
        if not entry.name or len(entry.name) > _TEAM_NAME_MAX or entry.name == HOUSE:
            return "invalid team name"
        if entry.token_hash in tokens:
            return "token already in use"
        if entry.species is not None and self.t.species_named(entry.species) is None:
            return f"unknown species: {entry.species}"
        if entry.balance < 0:
            return "balance cannot be negative"
        for code, qty in entry.inventory.items():
            if code not in self.pidx:
                return f"invalid product: {code}"
            if qty < 0 or qty > MAX_GOODS:
                return f"invalid quantity for {code}: {qty}"
        return None


__all__ = ["AdminOps", "Order"]
