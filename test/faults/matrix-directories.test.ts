/** The fault-injection matrix's 'directories' rows (the rows and their checks: matrix.ts). */
import { runMatrixPart } from './matrix.js';

runMatrixPart('directories');
