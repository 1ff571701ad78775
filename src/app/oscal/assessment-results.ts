import type { z } from 'zod';
import { authorize, type AppContext, type Caller } from '../context.js';
import { healthCheckIdInput, healthCheckView, type HealthCheckView } from '../healthcheck.js';
import { QUESTION_TEXT, QUESTIONS } from '../healthcheck-answers.js';
import { parseInput } from '../validate.js';
import { uuidV5 } from './common.js';

/**
 * A health check as OSCAL 1.1.3 assessment-results: one result for the check (the control it
 * reviewed, the period and the sampling method), one observation per sampled incident and question
 * (the answer, the records it rests on, the reviewers' notes), and one finding per sampled incident
 * (satisfied, or not-satisfied naming its control findings and their remediation items). Every
 * UUID is derived from ids (v5 style), so exporting a check twice gives the same document.
 */

/** The namespace of closeloop's derived UUIDs. */
const NAMESPACE = '6f1c3b52-8d0e-4f61-9a57-2c4f0b1d7e90';

/** The OSCAL control id of a control card id: `IR-6(2)` → `ir-6.2`. */
export function oscalControlId(id: string): string {
  return id.toLowerCase().replace(/\((\w+)\)/g, '.$1').replace(/[^a-z0-9._-]/g, '');
}

/** The namespace of closeloop's own OSCAL props. */
const NS = 'https://closeloop.dev/ns/oscal';
const prop = (name: string, value: string) => ({ name, ns: NS, value });
/** A record id as a URI reference an assessor can resolve with closeloop (`closeloop incident show`, the API). */
const recordRef = (id: string): string => `urn:closeloop:record:${encodeURIComponent(id)}`;

/** The assessment-results document of a check (a plain JSON value). */
export function assessmentResults(view: HealthCheckView): Record<string, unknown> {
  const control = oscalControlId(view.control.id);
  const observations = view.samples.flatMap((s) =>
    QUESTIONS.map((q) => {
      const a = s.answers[q];
      const notes = s.notes.map((n) => `${n.author} (${n.created_at}): ${n.text}`);
      return {
        uuid: uuidV5(NAMESPACE, `observation:${view.id}:${s.incident_id}:${q}`),
        title: `${s.incident_id}: ${QUESTION_TEXT[q]}`,
        description: `${a.passed ? 'Yes' : 'Gap'}: ${a.answer}${a.gaps.length > 0 ? `\n\n${a.gaps.map((g) => `- ${g.message}`).join('\n')}` : ''}`,
        props: [prop('incident', s.incident_id), prop('question', q), prop('answer', a.passed ? 'yes' : 'gap')],
        methods: ['EXAMINE'],
        types: ['control-objective'],
        ...(a.evidence.length > 0 ? { 'relevant-evidence': a.evidence.map((e) => ({ href: recordRef(e), description: `record ${e}` })) } : {}),
        collected: view.created_at,
        ...(notes.length > 0 ? { remarks: `Reviewer notes:\n\n${notes.map((n) => `- ${n}`).join('\n')}` } : {}),
      };
    }),
  );
  const findings = view.samples.map((s) => {
    const mine = view.findings.filter((f) => f.incident_id === s.incident_id);
    return {
      uuid: uuidV5(NAMESPACE, `finding:${view.id}:${s.incident_id}`),
      title: `${s.incident_id}: ${s.passed ? 'satisfied' : `${mine.length} gap(s)`}`,
      description: s.passed
        ? `Every question answered from the records of ${s.incident_id} without a gap.`
        : mine.map((f) => `${f.id} (owner ${f.owner_role}, remediation item ${f.remediation_item_id}): ${f.message}`).join('\n'),
      props: [prop('incident', s.incident_id), prop('stratum', s.stratum), ...(s.reopened ? [prop('reopened', 'yes')] : []), ...mine.map((f) => prop('control-finding', f.id))],
      target: { type: 'objective-id', 'target-id': `${control}_obj`, status: { state: s.passed ? 'satisfied' : 'not-satisfied' } },
      'related-observations': QUESTIONS.map((q) => ({ 'observation-uuid': uuidV5(NAMESPACE, `observation:${view.id}:${s.incident_id}:${q}`) })),
    };
  });
  const strata = view.strata.map((x) => `${x.stratum}: ${x.picked} of ${x.population}`).join(', ');
  return {
    'assessment-results': {
      uuid: uuidV5(NAMESPACE, `assessment-results:${view.id}`),
      metadata: {
        title: `Control health check ${view.id} of ${view.control.id}`,
        'last-modified': view.created_at,
        version: `${view.id}`,
        'oscal-version': '1.1.3',
        props: [prop('health-check', view.id), prop('control-card-version', String(view.control.version))],
      },
      'import-ap': { href: `urn:closeloop:assessment-plan:${view.id}` },
      results: [
        {
          uuid: uuidV5(NAMESPACE, `result:${view.id}`),
          title: `Health check ${view.id}: incidents closed ${view.period.from} to ${view.period.to}`,
          description: `A sample of ${view.sampled} of the ${view.population} incidents closed from ${view.period.from} to ${view.period.to} (sample size ${view.sample_size}, seed ${view.seed}${view.stratify ? `, stratified by ${view.stratify}` : ''}; ${strata}), each examined for the four questions of the control card. ${view.passed} of ${view.sampled} passed. Method: ${view.method}.`,
          start: view.created_at,
          end: view.created_at,
          props: [prop('population', String(view.population)), prop('sampled', String(view.sampled)), prop('passed', String(view.passed)), prop('seed', view.seed)],
          'reviewed-controls': { 'control-selections': [{ 'include-controls': [{ 'control-id': control }] }] },
          ...(observations.length > 0 ? { observations } : {}),
          ...(findings.length > 0 ? { findings } : {}),
        },
      ],
    },
  };
}

/** The OSCAL assessment-results of a check, and the file name it is saved under. */
export async function healthCheckAssessmentResults(ctx: AppContext, caller: Caller, input: z.input<typeof healthCheckIdInput>): Promise<{ file_name: string; document: Record<string, unknown> }> {
  await authorize(ctx, caller, 'healthcheck.read');
  const p = parseInput(healthCheckIdInput, input);
  const view = await healthCheckView(ctx.store.db, p.id);
  return { file_name: `${view.id}-assessment-results.json`, document: assessmentResults(view) };
}
