"""Registering, changing, finding key projects and moving them through their stages."""

from sqlalchemy import func

from fieldapp import scope
from fieldapp.assignments.moves import follow_move
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import (
    PROJECT_STAGES,
    Department,
    Firm,
    OrgUnit,
    Project,
    ProjectStageChange,
    utcnow,
)


def _resolve(principal: Principal, data: dict) -> dict:
    """Check every reference in ``data`` against the caller's scope; return the rows named.

    All checks run before anything changes, so a refused request leaves nothing half-written.
    """
    found = {}
    if "org_unit_id" in data:
        if not scope.is_visible(OrgUnit, data["org_unit_id"], principal):
            raise Problem.invalid("org_unit_id", "No such org unit in your scope.")
        found["org_unit"] = db.session.get(OrgUnit, data["org_unit_id"])
        scope.require_registry_admin(principal, found["org_unit"])
    if data.get("owner_firm_id") is not None and not scope.is_visible(
            Firm, data["owner_firm_id"], principal):
        raise Problem.invalid("owner_firm_id", "No such firm in your scope.")
    if "department_ids" in data:
        wanted = list(dict.fromkeys(data["department_ids"]))
        rows = db.session.scalars(scope.scoped(Department, principal).where(
            Department.id.in_(wanted))).all() if wanted else []
        missing = sorted(set(wanted) - {d.id for d in rows})
        if missing:
            raise Problem.invalid("department_ids",
                                  f"No such departments in your scope: {missing}.")
        found["departments"] = sorted(rows, key=lambda d: d.id)
    return found


def _apply(project: Project, data: dict, found: dict) -> None:
    for field in ("name", "owner_firm_id", "org_unit_id", "description"):
        if field in data:
            setattr(project, field, data[field])
    if "departments" in found:
        project.departments = found["departments"]


def create_project(principal: Principal, data: dict) -> Project:
    """Register a project in a unit of the caller's subtree, at the stage it stands at."""
    scope.require_registry_role(principal)
    found = _resolve(principal, data)
    now = utcnow()
    project = Project(stage=data["stage"], stage_entered_at=now)
    _apply(project, data, found)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectStageChange(project_id=project.id, from_stage=None,
                                      to_stage=data["stage"], moved_by_id=principal.user_id,
                                      moved_at=now, note="registered"))
    db.session.commit()
    return project


def update_project(principal: Principal, project_id: int, data: dict) -> Project:
    """Change a project's name, owner, unit, description or departments (not its stage).

    Moving a project to another unit takes its assignments along from today on (their
    ``org_unit_id`` is a copy of the target's, for managers' scope and reports); the past
    stays reported under the old unit (``follow_move``).
    """
    project = scope.get_visible(Project, project_id, principal)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, project.org_unit_id))
    found = _resolve(principal, data)
    moved = "org_unit_id" in data and data["org_unit_id"] != project.org_unit_id
    _apply(project, data, found)
    if moved:
        follow_move(project, principal.user_id)
    db.session.commit()
    return project


def project_query(principal: Principal, filters: dict):
    """The visible projects matching ``filters``."""
    stmt = scope.filtered(Project, principal, filters, ("stage", "owner_firm_id"))
    if "department_id" in filters:
        stmt = stmt.where(Project.departments.any(Department.id == filters["department_id"]))
    if "q" in filters:
        stmt = stmt.where(func.lower(Project.name).contains(filters["q"].lower(),
                                                            autoescape=True))
    return stmt


def allowed_stages(current: str, mover: str) -> list[str]:
    """Stages a mover (``"manager"`` or ``"butler"``) may move a project at ``current`` to."""
    i = PROJECT_STAGES.index(current)
    if mover == "butler":
        return list(PROJECT_STAGES[i + 1:i + 2])
    return [s for s in PROJECT_STAGES if s != current]


def move_stage(principal: Principal, project_id: int, to_stage: str,
               note: str | None) -> Project:
    """Move a project to ``to_stage`` and append the move to its history (rules: the route)."""
    project = db.session.scalar(scope.scoped(Project, principal).where(
        Project.id == project_id).with_for_update())
    if project is None:
        raise scope.not_found(Project, project_id)
    mover = scope.stage_mover(principal, project)
    allowed = allowed_stages(project.stage, mover)
    if to_stage not in allowed:
        raise Problem(409, f"A project at stage '{project.stage}' cannot be moved to "
                      f"'{to_stage}' by you; allowed: {', '.join(allowed) or 'none'}.",
                      slug="illegal-stage-move", current_stage=project.stage,
                      allowed_stages=allowed)
    backward = PROJECT_STAGES.index(to_stage) < PROJECT_STAGES.index(project.stage)
    if backward and not (note and note.strip()):
        raise Problem.invalid("note", "Moving a project back is a correction: say why.")
    now = utcnow()
    db.session.add(ProjectStageChange(project_id=project.id, from_stage=project.stage,
                                      to_stage=to_stage, moved_by_id=principal.user_id,
                                      moved_at=now, note=note))
    project.stage, project.stage_entered_at = to_stage, now
    db.session.commit()
    return project

