import { Suspense } from 'react';
import { CheckPage } from '../../components/CheckPage';

/** /checks/<id>?namespace=...: one check, its evidence, root cause, manual commands, fix and history. */
export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense>
      <CheckPage id={id} />
    </Suspense>
  );
}
