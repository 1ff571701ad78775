/**
 * The pages: each reachable by its URL, each named in the navigation for the roles that may use
 * it (`need`: a policy action, see src/domain/policy.ts). A page is loaded when first visited.
 */
import type { ComponentType } from 'react';

export interface PageRoute {
  path: string;
  /** In the navigation when set. */
  label?: string;
  /** Shown to people whose roles allow any of these actions; everyone signed in when absent. */
  need?: readonly string[];
  load: () => Promise<{ default: ComponentType }>;
}

export const PAGES: readonly PageRoute[] = [
  { path: '/work', label: 'My work', load: () => import('./pages/MyWork') },
  { path: '/incidents', label: 'Incidents', need: ['incident.read'], load: () => import('./pages/Incidents') },
  { path: '/incidents/:id', need: ['incident.read'], load: () => import('./pages/Incident') },
  { path: '/remediation', label: 'Remediation', need: ['incident.read'], load: () => import('./pages/Remediation') },
  { path: '/risks', label: 'Risk acceptances', need: ['incident.read'], load: () => import('./pages/Risks') },
  { path: '/vulnerabilities', label: 'Vulnerability response', need: ['vr.triage', 'incident.read'], load: () => import('./pages/Vulnerabilities') },
  { path: '/vulnerabilities/findings/:id', need: ['vr.triage', 'incident.read'], load: () => import('./pages/Finding') },
  { path: '/dashboard', label: 'Dashboard', need: ['incident.read'], load: () => import('./pages/Dashboard') },
  { path: '/deliveries', label: 'Deliveries', need: ['delivery.read'], load: () => import('./pages/Deliveries') },
  { path: '/health-checks', label: 'Health checks', need: ['healthcheck.read'], load: () => import('./pages/HealthChecks') },
  { path: '/health-checks/:id', need: ['healthcheck.read'], load: () => import('./pages/HealthCheck') },
  { path: '/audit', label: 'Audit', need: ['audit.read', 'audit.verify'], load: () => import('./pages/Audit') },
  { path: '/settings', label: 'Settings', need: ['people.manage', 'settings.read'], load: () => import('./pages/Settings') },
];

export function allowed(page: Pick<PageRoute, 'need'>, can: (action: string) => boolean): boolean {
  return page.need === undefined || page.need.some(can);
}
