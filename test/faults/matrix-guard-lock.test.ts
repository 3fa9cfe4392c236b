/** The fault-injection matrix's 'guard-lock' rows (the rows and their checks: matrix.ts). */
import { runMatrixPart } from './matrix.js';

runMatrixPart('guard-lock');
