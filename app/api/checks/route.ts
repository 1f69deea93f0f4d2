import { CHECKS } from '@/checks';
import { catalogOf } from '@/lib/engine/doctor';
import { handle, respond } from '../_lib/server';

export const runtime = 'nodejs';

export async function GET() {
  // Listing checks needs no cluster: it answers even without a kubeconfig.
  return handle(async () => respond({ checks: catalogOf(CHECKS) }));
}
