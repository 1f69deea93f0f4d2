import { NextResponse } from 'next/server';
import { doctor, handle } from '../_lib/server';

export const runtime = 'nodejs';

export async function GET() {
  return handle(async () => NextResponse.json({ checks: doctor().catalog() }));
}
