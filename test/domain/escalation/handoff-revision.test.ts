import { describe, expect, it } from 'vitest';
import { REVISION_LISTED, handoffRevisionSubject, renderHandoffRevision, type AddedFinding } from '../../../src/domain/escalation/handoff-revision.js';

const added = (n: number, asset = (i: number) => `host-${i}`): AddedFinding[] =>
  Array.from({ length: n }, (_, i) => ({ finding: `F-${i}`, asset: asset(i), vulnerability: 'CVE-2021-41773', triggers: ['dangerous_exposure'], note: `HO-${String(i + 1).padStart(4, '0')}` }));

describe('handoff revision text', () => {
  it('revision 1 opens the handoff; a later one says what was added, then quotes the first note whole', () => {
    const first = renderHandoffRevision({ incident: 'INC-2026-0001', revision: 1, grouping: 'vuln:CVE-2021-41773', added: added(2), firstNote: '# IR escalation: CVE-2021-41773 on host-0\n' });
    expect(first).toContain('# INC-2026-0001: IR handoff (revision 1)');
    expect(first).toContain('**Findings:** 2 finding(s) on 2 asset(s); triggers: dangerous exposure');
    expect(first.trimEnd().endsWith('# IR escalation: CVE-2021-41773 on host-0')).toBe(true);
    const later = renderHandoffRevision({ incident: 'INC-2026-0001', revision: 3, grouping: 'vuln:CVE-2021-41773', added: added(1), firstNote: '# note\n' });
    expect(later).toContain('# INC-2026-0001: handoff revision 3');
    expect(later).toContain('**Added:** 1 finding(s) on 1 asset(s)');
    expect(later).toContain('- F-0: CVE-2021-41773 on host-0 (dangerous_exposure), note HO-0001');
    expect(handoffRevisionSubject({ incident: 'INC-2026-0001', revision: 3, grouping: 'vuln:CVE-2021-41773', added: added(4, () => 'h') })).toBe('[closeloop] INC-2026-0001 handoff revision 3 (vuln:CVE-2021-41773): 4 finding(s) on 1 asset(s)');
  });

  it('lists at most REVISION_LISTED findings and assets, counts the rest, and escapes record text', () => {
    const many = added(REVISION_LISTED + 7);
    many[0] = { ...many[0], asset: 'host_<b>*x*</b>' } as AddedFinding;
    const text = renderHandoffRevision({ incident: 'INC-2026-0002', revision: 2, grouping: 'asset:x', added: many, firstNote: '# n\n' });
    expect(text.split('\n').filter((l) => l.startsWith('- F-'))).toHaveLength(REVISION_LISTED);
    expect(text).toContain('- and 7 more finding(s)');
    expect(text).toContain(', and 7 more\n');
    expect(text).toContain('host\\_\\<b\\>\\*x\\*\\</b\\>');
    expect(text).not.toContain('<b>');
  });
});
