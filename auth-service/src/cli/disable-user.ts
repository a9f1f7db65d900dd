import { runAccountStatusCommand } from './account-status';

runAccountStatusCommand('disable');
