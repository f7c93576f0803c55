// The connection's mapping document as the mapping, roles and provisioning tabs edit it:
// loaded once by ConnectionDetail, shared by the three tabs (unsaved edits survive tab
// switches), saved whole with api.setMapping, and previewed live against the claims of
// the last test login (api.previewMapping, debounced).
import { api, describeError } from "../../lib/api";
import { action } from "../../lib/action.svelte";
import { Resource } from "../../lib/resource.svelte";
import type {
  FieldRule,
  Lifecycle,
  MappingDocument,
  MappingFix,
  MappingPreview,
  RoleRule,
  Source,
} from "../../lib/generated/types";

export const PREVIEW_DEBOUNCE_MS = 300;

function normalSource(s: Source): Source {
  switch (s.type) {
    case "attribute":
      return {
        type: "attribute",
        name: s.name,
        case_insensitive: s.case_insensitive,
        friendly_name_fallback: s.friendly_name_fallback,
        name_format: s.name_format ? s.name_format : null,
      };
    case "constant":
      return { type: "constant", value: s.value };
    case "template":
      return { type: "template", template: s.template };
    case "field":
      return { type: "field", name: s.name };
    case "first_of":
      return {
        type: "first_of",
        names: s.names.map((n) => n.trim()).filter((n) => n !== ""),
        name_id_email: s.name_id_email,
        otherwise: s.otherwise ? s.otherwise : null,
      };
    default:
      return { type: "name_id" };
  }
}

function normalField(f: FieldRule): FieldRule {
  return {
    target: f.target,
    source: normalSource(f.source),
    transforms: (f.transforms ?? []).map((t) => ({ ...t })),
    required: f.required,
  };
}

function normalRule(r: RoleRule): RoleRule {
  return {
    source: normalSource(r.source),
    op: r.op,
    value: r.value ?? "",
    values: [...(r.values ?? [])],
    case_insensitive: r.case_insensitive,
    grant: r.grant,
  };
}

/** The lifecycle policy in one key order (owners sorted); absent in documents older than SCIM. */
function normalLifecycle(l: Lifecycle | undefined): Lifecycle {
  const owners = l?.owners ?? {};
  return {
    policy: l?.policy ?? "jit",
    jit_requires_scim: l?.jit_requires_scim ?? false,
    match_rule: l?.match_rule ?? "user_name",
    owners: Object.fromEntries(Object.keys(owners).sort().map((k) => [k, owners[k]])),
  };
}

/** A canonical copy: optional parts filled in, keys in one order (for dirty checks). */
export function normalizeDocument(d: MappingDocument): MappingDocument {
  return {
    subject: normalSource(d.subject),
    fields: d.fields.map(normalField),
    roles: {
      rules: d.roles.rules.map(normalRule),
      default_role: d.roles.default_role ? d.roles.default_role : null,
      when_none_match: d.roles.when_none_match,
    },
    access: {
      allowed_email_domains: [...d.access.allowed_email_domains],
      required_groups: [...d.access.required_groups],
      deny: [...d.access.deny],
      require_email_verified: d.access.require_email_verified ?? false,
    },
    provisioning: {
      jit: d.provisioning.jit,
      update: d.provisioning.update,
      role_sync: d.provisioning.role_sync,
      link_by_email: d.provisioning.link_by_email,
      verified_domains: [...d.provisioning.verified_domains],
      admin_roles: [...d.provisioning.admin_roles],
      lifecycle: normalLifecycle(d.provisioning.lifecycle),
    },
  };
}

/** A field row nobody has filled in yet: no target, or a source with no name to read. */
export function blankField(f: FieldRule): boolean {
  const s = f.source;
  return (
    f.target.trim() === "" ||
    (s.type === "attribute" && s.name.trim() === "") ||
    (s.type === "first_of" && s.names.every((n) => n.trim() === "") && !s.name_id_email && !s.otherwise)
  );
}

/** A role rule nobody has filled in yet: no role to grant, or nothing to compare with. */
export function blankRule(r: RoleRule): boolean {
  return r.grant.trim() === "" || (r.op === "one_of" ? (r.values ?? []).length === 0 : (r.value ?? "").trim() === "");
}

/** The draft as the live preview runs it: rows still blank are left out (not an error until Save). */
export function previewDocument(d: MappingDocument): MappingDocument {
  const n = normalizeDocument(d);
  return { ...n, fields: n.fields.filter((f) => !blankField(f)), roles: { ...n.roles, rules: n.roles.rules.filter((r) => !blankRule(r)) } };
}

/** Which part of the document differs from the saved one. */
export type Section = "mapping" | "roles" | "provisioning";

export class MappingState {
  readonly name: string;
  /** The document as saved on the connection. */
  saved = $state<MappingDocument | null>(null);
  /** The document being edited (deep reactive). */
  draft = $state<MappingDocument | null>(null);
  /** Set after a successful save, for an aria-live confirmation. */
  savedAt = $state<number | null>(null);
  /** The mapping field row the claims table fills when an attribute is clicked. */
  activeField = $state<number | null>(null);
  /** Save was tried with blank rows: they are shown as errors from now on. */
  validate = $state(false);
  /** Why the last Save did not send anything (blank rows). */
  blockedSave = $state<string | null>(null);
  /** Bumped when a field row should take the focus (a one-click fix opened it). */
  focusRequest = $state(0);
  /** A one-click fix that opened this mapping, for the editor's note. */
  appliedFix = $state<MappingFix | null>(null);

  readonly #stored = new Resource<string, MappingDocument | null>((name) => api.mapping(name), null);
  readonly #saving = action(
    async (doc: MappingDocument) => {
      this.#adopt(await api.setMapping(this.name, doc));
      this.savedAt = Date.now();
      this.requestPreview();
      return true;
    },
    { toastError: false },
  );
  readonly #preview = new Resource<MappingDocument, MappingPreview | null>(
    (doc) => api.previewMapping(this.name, doc),
    null,
  );

  constructor(name: string, initial?: MappingDocument) {
    this.name = name;
    if (initial) this.#adopt(initial);
  }

  #adopt(doc: MappingDocument) {
    const n = normalizeDocument(doc);
    this.saved = n;
    this.draft = normalizeDocument(n);
    const fix = pendingFixes.get(this.name);
    if (fix) {
      pendingFixes.delete(this.name);
      this.applyFix(fix);
    }
  }

  /**
   * The one-click fix of a login denied for a missing attribute: the field's row reads the
   * attribute that arrived (a new row when the field is not mapped), unsaved, and focused.
   */
  applyFix(fix: MappingFix) {
    const d = this.draft;
    if (!d) return;
    const source: Source = { type: "attribute", name: fix.attribute, case_insensitive: false, friendly_name_fallback: true, name_format: null };
    let i = d.fields.findIndex((f) => f.target === fix.field);
    if (i >= 0) {
      d.fields[i].source = source;
    } else {
      const email = fix.field === "email";
      d.fields.push({ target: fix.field, source, transforms: email ? [{ op: "trim" }, { op: "lowercase" }] : [], required: email });
      i = d.fields.length - 1;
    }
    this.activeField = i;
    this.appliedFix = fix;
    this.focusRequest += 1;
  }

  get loading(): boolean {
    return this.#stored.loading;
  }
  get loadError(): string | null {
    return this.#stored.error === null ? null : describeError(this.#stored.error);
  }
  get saving(): boolean {
    return this.#saving.busy;
  }
  get saveError(): string | null {
    return this.#saving.error === null ? null : describeError(this.#saving.error);
  }
  get preview(): MappingPreview | null {
    return this.#preview.current;
  }
  get previewLoading(): boolean {
    return this.#preview.loading;
  }
  get previewError(): string | null {
    return this.#preview.error === null ? null : describeError(this.#preview.error);
  }

  get dirty(): boolean {
    if (!this.saved || !this.draft) return false;
    return JSON.stringify(normalizeDocument(this.draft)) !== JSON.stringify(this.saved);
  }

  /** Which tabs hold unsaved edits. */
  dirtySections(): Section[] {
    if (!this.saved || !this.draft) return [];
    const d = normalizeDocument(this.draft);
    const s = this.saved;
    const out: Section[] = [];
    if (JSON.stringify([d.subject, d.fields]) !== JSON.stringify([s.subject, s.fields])) out.push("mapping");
    if (JSON.stringify([d.roles, d.access]) !== JSON.stringify([s.roles, s.access])) out.push("roles");
    if (JSON.stringify(d.provisioning) !== JSON.stringify(s.provisioning)) out.push("provisioning");
    return out;
  }

  async load(): Promise<void> {
    this.#stored.error = null; // a retry shows the spinner, not the old error
    const doc = await this.#stored.load(this.name);
    if (doc) this.#adopt(doc);
  }

  /** Saves the whole document; true when saved. Errors stay in `saveError`. */
  async save(): Promise<boolean> {
    if (!this.draft) return false;
    const blank = this.draft.fields.findIndex(blankField);
    const blankRole = this.draft.roles.rules.findIndex(blankRule);
    if (blank >= 0 || blankRole >= 0) {
      this.validate = true;
      this.blockedSave =
        blank >= 0
          ? `Field row ${blank + 1} is not filled in: give it a field name and a source, or remove it.`
          : `Role rule ${blankRole + 1} is not filled in: give it a value and a role, or remove it.`;
      return false;
    }
    this.blockedSave = null;
    this.validate = false;
    this.appliedFix = null;
    return (await this.#saving.run(this.#snapshot())) ?? false;
  }

  /**
   * The lifecycle was saved by itself (the SCIM tab): the saved document and the draft take
   * it, so that saving the mapping later does not put the old one back.
   */
  adoptLifecycle(l: Lifecycle) {
    if (this.saved) this.saved = normalizeDocument({ ...this.saved, provisioning: { ...this.saved.provisioning, lifecycle: l } });
    if (this.draft) this.draft.provisioning.lifecycle = normalizeDocument({ ...this.draft, provisioning: { ...this.draft.provisioning, lifecycle: l } }).provisioning.lifecycle;
  }

  /** Drops unsaved edits. */
  reset() {
    if (this.saved) this.draft = normalizeDocument(this.saved);
    this.#saving.error = null;
    this.blockedSave = null;
    this.validate = false;
    this.appliedFix = null;
  }

  /** Asks for a preview of the draft after a short pause (successive edits coalesce). */
  requestPreview() {
    if (this.draft) void this.#preview.load(previewDocument(this.#snapshot()), { delay: PREVIEW_DEBOUNCE_MS });
  }

  /** Drops a preview on its way (the tab closed). */
  cancelPreview() {
    this.#preview.cancel();
  }

  #snapshot(): MappingDocument {
    return normalizeDocument($state.snapshot(this.draft) as MappingDocument);
  }
}

const states = new Map<string, MappingState>();
/** One-click fixes waiting for their connection's mapping to load. */
const pendingFixes = new Map<string, MappingFix>();

/**
 * Opens a one-click fix in the connection's mapping: applied to the loaded draft now, or as
 * soon as the mapping loads (the Mapping tab opens next).
 */
export function requestFix(name: string, fix: MappingFix) {
  const existing = states.get(name);
  if (existing?.draft && !existing.loading) existing.applyFix(fix);
  else pendingFixes.set(name, fix);
}

/**
 * The mapping state of a connection. Kept per connection for the session, so leaving the
 * connection and coming back keeps unsaved edits; a clean one is reloaded on return.
 */
export function mappingStateFor(name: string): MappingState {
  const existing = states.get(name);
  if (existing && (existing.dirty || existing.loading)) return existing;
  const fresh = new MappingState(name);
  states.set(name, fresh);
  return fresh;
}

/** Forgets cached states (tests). */
export function clearMappingStates() {
  states.clear();
  pendingFixes.clear();
}
