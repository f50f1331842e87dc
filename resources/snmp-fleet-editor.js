/**
 * Edit-dialog helpers shared by the snmp-fleet nodes. Node-RED serves this file from the
 * module's resources/ folder; each node's .html loads it with a relative <script src>
 * before registering its type (Node-RED runs such scripts first, in order). The first load
 * defines it; the later ones find it defined.
 *
 * The OID list: one OID a row in an editableList, each row with name completion from
 * the MIB service (GET snmp-fleet/mib/complete) and, while typing, a check against it
 * (GET snmp-fleet/mib/validate) that shows what the name resolves to or why it is wrong.
 * The node property stays the text the runtime reads: one OID a line.
 */
window.SnmpFleetEditor = window.SnmpFleetEditor || (function () {
    "use strict";

    var COMPLETE_URL = "snmp-fleet/mib/complete";
    var VALIDATE_URL = "snmp-fleet/mib/validate";
    var CHECK_DELAY_MS = 250;
    var ENV_VAR = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
    var NUMERIC = /^\.?\d+(\.\d+)*$/;
    var NAME = /^([A-Za-z][A-Za-z0-9-]*::)?[A-Za-z][A-Za-z0-9_-]*(\.\d+)*$/;

    /** Verdicts of the MIB service by entry text, shared by every dialog of the session. */
    var verdicts = {};

    /** Entries of an OID list as the runtime reads it (poll-runner splitOidList), with their line numbers. */
    function entries(text) {
        var out = [];
        String(text || "").split(/\r?\n/).forEach(function (line, i) {
            line.replace(/#.*$/, "").split(",").forEach(function (part) {
                var entry = part.trim();
                if (entry) { out.push({ line: i + 1, text: entry }); }
            });
        });
        return out;
    }

    /**
     * What is wrong with one entry, as text, or "" when nothing is known to be wrong
     * (a name the MIB service has not answered for yet counts as fine until it does).
     */
    function problem(entry, kind, t) {
        if (ENV_VAR.test(entry)) { return ""; }
        if (!NUMERIC.test(entry) && !NAME.test(entry)) { return t("errors.bad-oid", { oid: entry }); }
        if (NUMERIC.test(entry)) {
            // what the runtime refuses to send (unsendableOid in src/lib/common/oid.ts)
            var arcs = entry.replace(/^\./, "").split(".");
            if (arcs.length < 2 || Number(arcs[0]) > 2 || Number(arcs[1]) >= 40) { return t("errors.unsendable-oid", { oid: entry }); }
        }
        var verdict = verdicts[entry];
        if (!verdict) { return ""; }
        if (!verdict.valid) { return verdict.error || t("errors.unknown-oid", { oid: entry }); }
        // GET asks for exact instances: anything without one answers noSuchObject
        if (kind === "get" && verdict.instance === "" && verdict.kind) {
            if (verdict.kind === "scalar") { return t("errors.scalar-instance", { oid: entry }); }
            if (verdict.kind === "column") { return t("errors.column-instance", { oid: entry }); }
            return t("errors.not-instance", { oid: entry, kind: verdict.kind });
        }
        return "";
    }

    /** A defaults validator message for the first bad entry ("line 2: ..."), or true. */
    function validate(text, kind, t) {
        var list = entries(text);
        for (var i = 0; i < list.length; i++) {
            var p = problem(list[i].text, kind, t);
            if (p) { return t("errors.oid-line", { line: list[i].line, error: p }); }
        }
        return true;
    }

    /** Asks the MIB service about names it has not judged yet; calls done when any answer arrived. */
    function check(texts, done) {
        var pending = texts.filter(function (e) {
            return !NUMERIC.test(e) && NAME.test(e) && !ENV_VAR.test(e) && !Object.prototype.hasOwnProperty.call(verdicts, e);
        });
        pending.forEach(function (e) {
            verdicts[e] = null;
            $.getJSON(VALIDATE_URL, { name: e }).done(function (answer) {
                verdicts[e] = answer && typeof answer === "object" ? answer : { valid: true };
                done();
            }).fail(function () {
                // no answer (older runtime, no permission): do not block the user on it
                delete verdicts[e];
            });
        });
    }

    /**
     * A validator for one of the choices a select offers. Absent or empty (a flow saved before
     * the property existed) is valid: the runtime reads it as its default.
     */
    function choice(re) {
        return function (v, opts) {
            return v === undefined || v === null || String(v).trim() === "" ? true : RED.validators.regex(re)(v, opts);
        };
    }

    /** A short note beside a row: where the name resolves to. */
    function describe(verdict) {
        if (!verdict || !verdict.valid || !verdict.oid) { return ""; }
        var parts = [verdict.oid];
        // a table's SYNTAX ("SEQUENCE OF ...") says less than its kind
        var structural = verdict.kind === "table" || verdict.kind === "row" || verdict.kind === "node";
        if (verdict.syntax && !structural) { parts.push(verdict.syntax); } else if (verdict.kind) { parts.push(verdict.kind); }
        return parts.join(" · ");
    }

    /**
     * What a completion inserts: the module-qualified name when the user typed a module or
     * the name is ambiguous; scalars get their .0 instance when polled with GET.
     */
    function insertText(hit, hits, kind, typed) {
        var ambiguous = hits.some(function (h) { return h !== hit && h.name === hit.name && h.oid !== hit.oid; });
        var name = ambiguous || typed.indexOf("::") >= 0 ? hit.qualified : hit.name;
        return kind === "get" && hit.kind === "scalar" ? name + ".0" : name;
    }

    function completions(kind) {
        return function (value, done) {
            var q = String(value || "").trim();
            // typing an instance index or a comment: nothing to complete
            if (!q || /#/.test(q) || (/[A-Za-z]/.test(q) && /\.\d*$/.test(q))) { done([]); return; }
            $.getJSON(COMPLETE_URL, { q: q, limit: 20 }).done(function (answer) {
                var hits = (answer && answer.results) || [];
                done(hits.map(function (hit) {
                    var label = $("<div>", { class: "snmp-fleet-completion" });
                    $("<span>", { class: "red-ui-autoComplete-completion" }).text(hit.name).appendTo(label);
                    $("<span>", { class: "snmp-fleet-completion-meta" }).text(hit.module + " · " + (hit.syntax && hit.kind !== "table" && hit.kind !== "row" ? hit.syntax : hit.kind)).appendTo(label);
                    return { value: insertText(hit, hits, kind, q), label: label };
                }));
            }).fail(function () { done([]); });
        };
    }

    /**
     * Builds the OID rows in `options.list` (an <ol>) from the hidden textarea
     * `options.field`, keeps the textarea in step for Node-RED's validation, and marks
     * each bad row with its reason. `options.kind` is "get" or "walk"; `options.t` reads
     * the node's locale keys. Returns { save() } for oneditsave.
     */
    function oidList(options) {
        var field = $(options.field);
        var list = $(options.list);
        var kind = options.kind;
        var t = options.t;
        var timer = null;

        function rows() {
            var out = [];
            list.editableList("items").each(function () {
                out.push($(this).find("input.snmp-fleet-oid-input"));
            });
            return out;
        }

        function text() {
            return rows().map(function (input) { return input.val().trim(); }).filter(Boolean).join("\n");
        }

        function paint() {
            rows().forEach(function (input) {
                var value = input.val().trim();
                var note = input.closest(".snmp-fleet-oid-row").find(".snmp-fleet-oid-note");
                var p = value ? entries(value).map(function (e) { return problem(e.text, kind, t); }).filter(Boolean)[0] : "";
                input.toggleClass("input-error", !!p);
                note.toggleClass("snmp-fleet-oid-note-error", !!p).text(p || describe(verdicts[value])).attr("title", p || describe(verdicts[value]));
            });
        }

        function sync() {
            // a MIB answer or the typing delay may come after the dialog closed: its list is gone
            if (!$.contains(document, list[0])) { return; }
            field.val(text());
            // Node-RED validates the node on the field's change event
            field.trigger("change");
            paint();
        }

        function changed() {
            clearTimeout(timer);
            timer = setTimeout(function () {
                sync();
                check(entries(field.val()).map(function (e) { return e.text; }), sync);
            }, CHECK_DELAY_MS);
        }

        list.editableList({
            addButton: t("label.add-oid"),
            height: "auto",
            sortable: true,
            removable: true,
            addItem: function (row, index, data) {
                row.addClass("snmp-fleet-oid-row");
                var input = $("<input>", { type: "text", class: "snmp-fleet-oid-input" })
                    // attr(), not the props object: jQuery would call a jQuery UI "autocomplete" method
                    .attr({ autocomplete: "off", spellcheck: "false", placeholder: t("placeholder.oid") })
                    .val(data.oid || "")
                    .appendTo(row);
                $("<span>", { class: "snmp-fleet-oid-note" }).appendTo(row);
                input.autoComplete({ search: completions(kind), minLength: 1 });
                input.on("change keyup input", changed);
                // a pasted list becomes one row per line
                input.on("paste", function (evt) {
                    var clipboard = (evt.originalEvent || evt).clipboardData;
                    if (!clipboard) { return; }
                    var lines = entries(clipboard.getData("text")).map(function (e) { return e.text; });
                    if (lines.length < 2) { return; }
                    evt.preventDefault();
                    input.val(lines[0]);
                    for (var i = 1; i < lines.length; i++) { list.editableList("addItem", { oid: lines[i] }); }
                    changed();
                });
            },
            removeItem: changed,
            sortItems: changed
        });
        // The add button should leave the cursor in the new row.
        list.closest(".red-ui-editableList").find(".red-ui-editableList-addButton").on("click", function () {
            setTimeout(function () { list.editableList("items").last().find("input").trigger("focus"); }, 0);
        });

        String(field.val() || "").split(/\r?\n/).map(function (l) { return l.trim(); }).filter(Boolean).forEach(function (line) {
            list.editableList("addItem", { oid: line });
        });
        if (list.editableList("length") === 0) { list.editableList("addItem", {}); }
        check(entries(field.val()).map(function (e) { return e.text; }), sync);
        paint();

        return {
            save: function () {
                clearTimeout(timer);
                field.val(text());
            }
        };
    }

    $("<style>", { id: "snmp-fleet-editor-style" }).text([
        ".snmp-fleet-oid-row { display: flex; align-items: center; gap: 10px; padding-right: 28px; }",
        // wide enough for IF-MIB's longest column names (ifCounterDiscontinuityTime, 26
        // characters) at the default dialog width; at most 60 % of a narrower one
        ".snmp-fleet-oid-row input.snmp-fleet-oid-input { flex: 0 0 calc(27ch + 16px); max-width: 60%; margin: 0; font-family: var(--red-ui-monospace-font); }",
        ".snmp-fleet-oid-note { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: normal; line-height: 1.3em; max-height: 2.6em; font-size: 0.85em; color: var(--red-ui-secondary-text-color); }",
        ".snmp-fleet-oid-note.snmp-fleet-oid-note-error { color: var(--red-ui-text-color-error); white-space: normal; line-height: 1.3em; max-height: none; }",
        ".snmp-fleet-field-error { color: var(--red-ui-text-color-error); margin: 6px 0; }",
        ".snmp-fleet-completion { display: flex; justify-content: space-between; gap: 12px; width: 100%; }",
        ".snmp-fleet-completion-meta { color: var(--red-ui-secondary-text-color); font-size: 0.85em; white-space: nowrap; }",
        // The editor sets inline code nowrap, so a long phrase in the help ran past the sidebar.
        // Each node's help ends with an empty span.snmp-fleet-help that marks it as ours (a
        // wrapper would hide the first <p> from the palette's tooltip, which reads top-level ones).
        ".red-ui-help:has(> .red-ui-text-bidi-aware > .snmp-fleet-help) code { white-space: normal; overflow-wrap: anywhere; }"
    ].join("\n")).appendTo("head");

    /** A label's short form of an OID: the object name without its module. */
    function shortName(entry) {
        return String(entry).replace(/^[A-Za-z][A-Za-z0-9-]*::/, "");
    }

    /**
     * The poll settings of snmp-get and snmp-bulkwalk: the interval rows (class
     * snmp-fleet-interval-row) show only while the node polls on its own schedule.
     */
    function scheduleForm() {
        var select = $("#node-input-schedule");
        if (!select.val()) { select.val("input"); }
        // flows saved before the JSON form existed lack it: the runtime sends messages then
        var form = $("#node-input-form");
        if (form.length && !form.val()) { form.val("message"); }
        function toggle() { $(".snmp-fleet-interval-row").toggle(select.val() === "interval"); }
        select.on("change", toggle);
        toggle();
    }

    /** The node's schedule: the open dialog's choice, else the stored property. */
    function scheduleOf(node) {
        var select = $("#node-input-schedule");
        return select.length ? select.val() : node.schedule;
    }

    /**
     * The interval property, checked by the runtime's own grammar (parseInterval of the
     * inventory bundle, window.SnmpFleetInventory): seconds or a duration, 5 s to a day.
     */
    function validateInterval(value, t) {
        if (value === "" || value === undefined || value === null || ENV_VAR.test(String(value))) { return true; }
        var grammar = window.SnmpFleetInventory;
        if (!grammar) { return true; }
        try {
            grammar.parseInterval(String(value));
            return true;
        } catch (ignore) { // eslint-disable-line no-unused-vars
            return t("errors.interval", { min: grammar.MIN_INTERVAL_S });
        }
    }

    /** The OID list of a poll node: a node on its own schedule needs one (no msg.oids at its turns). */
    function validatePollOids(node, value, kind, t) {
        if (scheduleOf(node) === "interval" && entries(value).length === 0) { return t("errors.oids-needed"); }
        return validate(value, kind, t);
    }

    return {
        choice: choice, entries: entries, validate: validate, oidList: oidList, shortName: shortName, verdicts: verdicts,
        scheduleForm: scheduleForm, validateInterval: validateInterval, validatePollOids: validatePollOids
    };
})();
